/* ui.h: the web UI's files, embedded at build time by engine/embed.py (private). */
#ifndef RELAIS_UI_H
#define RELAIS_UI_H

#include "relais/embed.h"

/* Ends with an entry whose name is NULL. */
extern const struct relais_embedded_file relais_ui_files[];

/* The package origin's player: player.html, player.js and scorm-again. */
extern const struct relais_embedded_file relais_player_files[];

#endif
