/* i18n.c: the reader's interface words in English and French. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"

static const char *const words[M_COUNT][2] = {
        [M_LANG_CODE] = {"en", "fr"},
        [M_OTHER_LANG_CODE] = {"fr", "en"},
        [M_OTHER_LANG_NAME] = {"Français", "English"},
        [M_SKIP] = {"Skip to the content", "Aller au contenu"},
        [M_NAV_LIBRARY] = {"Library", "Bibliothèque"},
        [M_NAV_SEARCH] = {"Search", "Rechercher"},
        [M_NAV_OUTBOX] = {"Waiting to be sent", "En attente d'envoi"},
        [M_NAV_WHO] = {"Switch learner", "Changer d'apprenant"},
        [M_WHO_TITLE] = {"Who is studying?", "Qui étudie ?"},
        [M_WHO_INTRO] = {"This laptop may be shared. Choose your name so that your progress is "
                         "recorded as yours.",
                         "Cet ordinateur peut être partagé. Choisissez votre nom pour que vos "
                         "progrès soient enregistrés à votre nom."},
        [M_WHO_ADD] = {"Add yourself", "Ajoutez-vous"},
        [M_NAME] = {"Name", "Nom"},
        [M_EMAIL] = {"Email address", "Adresse électronique"},
        [M_ORG] = {"Organisation (optional)", "Organisation (facultatif)"},
        [M_START] = {"Start studying", "Commencer"},
        [M_LIBRARY_TITLE] = {"Your courses", "Vos cours"},
        [M_LIBRARY_EMPTY] = {"No course is installed yet. Ask your coordinator for a course "
                             "bundle, then run: relais install BUNDLE",
                             "Aucun cours n'est encore installé. Demandez un paquet de cours à "
                             "votre coordinateur, puis lancez : relais install PAQUET"},
        [M_CONTINUE] = {"Continue", "Continuer"},
        [M_BEGIN] = {"Begin", "Commencer"},
        [M_UNITS_DONE] = {"%u of %u units done", "%u unités sur %u faites"},
        [M_COMPLETED] = {"Completed", "Terminé"},
        [M_PUBLISHER_REVOKED] = {"Publisher key revoked: this course is kept as it is and gets "
                                 "no updates",
                                 "Clé de l'éditeur révoquée : ce cours reste tel quel et ne "
                                 "reçoit plus de mises à jour"},
        [M_MINUTES] = {"about %u minutes", "environ %u minutes"},
        [M_OUTLINE] = {"Course outline", "Plan du cours"},
        [M_LESSON] = {"Lesson", "Leçon"},
        [M_QUIZ] = {"Quiz", "Quiz"},
        [M_PACKAGE] = {"Package", "Module"},
        [M_PACKAGE_PARTS] = {"Parts of this package", "Parties de ce module"},
        [M_PACKAGE_SAVED] = {"What the package records is saved on this laptop as you go: you "
                             "can close it and come back where you stopped.",
                             "Ce que le module enregistre est gardé sur cet ordinateur au fur et "
                             "à mesure : vous pouvez le fermer et reprendre où vous en étiez."},
        [M_PACKAGE_LATER] = {"This unit is a %s package. This version of the reader cannot play "
                             "packages yet; your progress in the other units is kept.",
                             "Cette unité est un module %s. Cette version du lecteur ne sait pas "
                             "encore les lire ; votre progression dans les autres unités est "
                             "conservée."},
        [M_STATE_NEW] = {"Not started", "À faire"},
        [M_STATE_SEEN] = {"Started", "Commencé"},
        [M_STATE_DONE] = {"Done", "Fait"},
        [M_PREVIOUS] = {"Previous", "Précédent"},
        [M_NEXT] = {"Next", "Suivant"},
        [M_MARK_READ] = {"I have read this lesson: continue", "J'ai lu cette leçon : continuer"},
        [M_PASS_MARK] = {"Pass mark: %d%%", "Note de passage : %d %%"},
        [M_SUBMIT] = {"Submit my answers", "Valider mes réponses"},
        [M_SCORE] = {"Your score: %d%%", "Votre score : %d %%"},
        [M_PASSED] = {"Passed", "Réussi"},
        [M_FAILED] = {"Not passed yet", "Pas encore réussi"},
        [M_RETRY] = {"Try again", "Réessayer"},
        [M_RECORDED] = {"Saved on this laptop.", "Enregistré sur cet ordinateur."},
        [M_BACK_TO_OUTLINE] = {"Back to the course outline", "Retour au plan du cours"},
        [M_COURSE_DONE] = {"Course completed", "Cours terminé"},
        [M_COURSE_DONE_TEXT] = {"You have read every lesson and passed every quiz of this course. "
                                "Your completion is recorded and will be sent to your "
                                "coordinators when this laptop is next online.",
                                "Vous avez lu toutes les leçons et réussi tous les quiz de ce "
                                "cours. Votre réussite est enregistrée et sera envoyée à vos "
                                "coordinateurs à la prochaine connexion de cet ordinateur."},
        [M_SEARCH_TITLE] = {"Search your courses", "Rechercher dans vos cours"},
        [M_SEARCH_LABEL] = {"Words to look for", "Mots à chercher"},
        [M_SEARCH_BUTTON] = {"Search", "Rechercher"},
        [M_SEARCH_NONE] = {"No lesson matches.", "Aucune leçon ne correspond."},
        [M_SEARCH_COUNT] = {"%zu lessons match.", "%zu leçons correspondent."},
        [M_OUTBOX_TITLE] = {"Recorded, waiting to be sent", "Enregistré, en attente d'envoi"},
        [M_OUTBOX_INTRO] = {"These learning records are saved on this laptop. They will be sent "
                            "to your coordinators' hub when a connection is available.",
                            "Ces enregistrements sont conservés sur cet ordinateur. Ils seront "
                            "envoyés au serveur de vos coordinateurs dès qu'une connexion sera "
                            "disponible."},
        [M_OUTBOX_EMPTY] = {"Nothing is waiting to be sent.", "Rien n'attend d'être envoyé."},
        [M_OUTBOX_COUNT] = {"%lld records waiting.", "%lld enregistrements en attente."},
        [M_WHEN] = {"When (UTC)", "Quand (UTC)"},
        [M_LEARNER] = {"Learner", "Apprenant"},
        [M_EVENT] = {"Event", "Événement"},
        [M_ACTIVITY] = {"Activity", "Activité"},
        [M_NOT_FOUND] = {"This page does not exist.", "Cette page n'existe pas."},
        [M_BAD_REQUEST] = {"This request was refused.", "Cette demande a été refusée."},
        [M_ERROR] = {"Something went wrong", "Un problème est survenu"},
        [M_PROGRESS_LABEL] = {"Progress", "Progression"},
        [M_BEST] = {"best %d%%", "meilleur %d %%"},
        [M_ATTEMPTS] = {"%d attempts", "%d tentatives"},
        [M_CURRENT_LEARNER] = {"Studying: %s", "Apprenant : %s"},
        [M_SEND_NOW] = {"Send now", "Envoyer maintenant"},
        [M_SENDING] = {"Sending in the background. Reload this page to follow it.",
                       "Envoi en cours. Rechargez cette page pour le suivre."},
        [M_LAST_SENT] = {"Last sent successfully: %s UTC.", "Dernier envoi réussi : %s UTC."},
        [M_LAST_TRY] = {"Last attempt: %s UTC.", "Dernière tentative : %s UTC."},
        [M_NEVER_SENT] = {"Nothing has been sent from this laptop yet.",
                          "Rien n'a encore été envoyé depuis cet ordinateur."},
        [M_NO_HUB] = {"No hub is set up on this laptop yet: your coordinator gives the command "
                      "to run once (relais sync --hub ADDRESS --key KEY --secret SECRET).",
                      "Aucun serveur n'est encore configuré sur cet ordinateur : votre "
                      "coordinateur vous donne la commande à lancer une fois (relais sync "
                      "--hub ADRESSE --key CLÉ --secret SECRET)."},
        [M_SET_ASIDE_TITLE] = {"Refused by the hub", "Refusés par le serveur"},
        [M_SET_ASIDE_INTRO] = {"The hub refused these records as invalid. They are kept here; "
                               "tell your coordinator. They never hold the others back.",
                               "Le serveur a refusé ces enregistrements comme invalides. Ils "
                               "sont conservés ici ; prévenez votre coordinateur. Ils ne "
                               "retiennent jamais les autres."},
        [M_REASON] = {"Reason", "Motif"},
        [M_SEARCH_ONE] = {"1 lesson matches.", "1 leçon correspond."},
        [M_VERB_EXPERIENCED] = {"lesson read", "leçon lue"},
        [M_VERB_ANSWERED] = {"question answered", "question répondue"},
        [M_VERB_PASSED] = {"quiz passed", "quiz réussi"},
        [M_VERB_FAILED] = {"quiz not passed", "quiz non réussi"},
        [M_VERB_COMPLETED] = {"course completed", "cours terminé"},
        [M_VERB_SUSPENDED] = {"package paused, to resume", "module interrompu, à reprendre"},
        [M_VERB_TERMINATED] = {"package session ended", "séance du module terminée"},
        [M_PIN_TITLE] = {"Your PIN", "Votre code PIN"},
        [M_PIN_ASK] = {"%s protects their name with a PIN. Enter it to continue.",
                       "%s protège son nom par un code PIN. Saisissez-le pour continuer."},
        [M_PIN_LABEL] = {"PIN", "Code PIN"},
        [M_PIN_CONTINUE] = {"Continue", "Continuer"},
        [M_PIN_WRONG] = {"Wrong PIN.", "Code PIN incorrect."},
        [M_PIN_WAIT] = {"Too many wrong PINs: wait %d seconds, then try again.",
                        "Trop de codes PIN incorrects : attendez %d secondes, puis "
                        "réessayez."},
        [M_PIN_LINK_SET] = {"Protect your name with a PIN", "Protéger votre nom par un code PIN"},
        [M_PIN_LINK_CHANGE] = {"Change or remove your PIN", "Modifier ou supprimer votre code PIN"},
        [M_PIN_INTRO] = {"On a shared laptop, a PIN stops others from studying under your "
                         "name and from seeing your records. It stays on this laptop.",
                         "Sur un ordinateur partagé, un code PIN empêche les autres "
                         "d'étudier sous votre nom et de voir vos enregistrements. Il reste "
                         "sur cet ordinateur."},
        [M_PIN_CURRENT] = {"Current PIN", "Code PIN actuel"},
        [M_PIN_NEW] = {"New PIN (4 to 64 characters)", "Nouveau code PIN (4 à 64 caractères)"},
        [M_PIN_SAVE] = {"Save my PIN", "Enregistrer mon code PIN"},
        [M_PIN_REMOVE] = {"Remove my PIN", "Supprimer mon code PIN"},
        [M_PIN_SAVED] = {"Your PIN is saved: it will be asked when you choose your name.",
                         "Votre code PIN est enregistré : il sera demandé quand vous "
                         "choisirez votre nom."},
        [M_PIN_REMOVED] = {"Your PIN is removed.", "Votre code PIN est supprimé."},
        [M_PIN_LENGTH] = {"A PIN has 4 to 64 characters.",
                          "Un code PIN compte de 4 à 64 caractères."},
        [M_NAV_CERTIFICATES] = {"Certificates", "Certificats"},
        [M_CERT_TITLE] = {"Your certificates", "Vos certificats"},
        [M_CERT_NONE] = {"No certificate yet. When you complete a course, your coordinators' hub "
                         "issues a certificate; it arrives on this laptop at the next sync.",
                         "Aucun certificat pour l'instant. Quand vous terminez un cours, le "
                         "serveur de vos coordinateurs délivre un certificat ; il arrive sur cet "
                         "ordinateur à la prochaine synchronisation."},
        [M_CERT_HEADING] = {"Certificate of completion", "Certificat de réussite"},
        [M_CERT_THIS_CERTIFIES] = {"This certifies that", "Nous certifions que"},
        [M_CERT_COMPLETED] = {"has completed the course", "a terminé le cours"},
        [M_CERT_VERSION] = {"version %u", "version %u"},
        [M_CERT_DATE] = {"Completed on", "Terminé le"},
        [M_CERT_SCORE] = {"Score", "Score"},
        [M_CERT_HOURS] = {"Hours of study", "Heures de formation"},
        [M_CERT_CODE] = {"Verification code", "Code de vérification"},
        [M_CERT_CHECK] = {"Anyone can check this certificate without an account: type the code on "
                          "the hub's verification page (/verify), scan the QR code, or run "
                          "relais certificate verify CODE.",
                          "Chacun peut vérifier ce certificat sans compte : saisissez le code sur "
                          "la page de vérification du serveur (/verify), lisez le code QR, ou "
                          "lancez relais certificate verify CODE."},
        [M_CERT_PRINT] = {"To print it, use your browser's Print command.",
                          "Pour l'imprimer, utilisez la commande Imprimer de votre navigateur."},
        [M_CERT_REVOKED] = {"The hub has revoked this certificate.",
                            "Le serveur a révoqué ce certificat."},
        [M_CERT_SIGNED] = {"Signed by hub key %s, certificate %u.",
                           "Signé par la clé du serveur %s, certificat %u."},
        [M_CERT_OPEN] = {"Open the printable certificate", "Ouvrir le certificat à imprimer"},
        [M_SEND_AGAIN] = {"Send again", "Renvoyer"},
        [M_NAV_UPDATES] = {"Updates", "Mises à jour"},
        [M_UPDATES_INTRO] = {"The courses the hub offers. Checking for updates brings the new "
                             "and updated courses meant for this laptop's learners.",
                             "Les cours que propose le serveur. La recherche de mises à jour "
                             "apporte les cours nouveaux ou mis à jour destinés aux "
                             "apprenants de cet ordinateur."},
        [M_UPDATES_CHECK] = {"Check for updates", "Rechercher des mises à jour"},
        [M_UPDATES_FETCHED] = {"Catalogue %llu, last received %s UTC.",
                               "Catalogue %llu, reçu le %s UTC."},
        [M_UPDATES_NO_CATALOGUE] = {"No catalogue has been received from a hub yet.",
                                    "Aucun catalogue n'a encore été reçu d'un serveur."},
        [M_UPDATES_RUNNING] = {"Checking for updates… This page follows it by itself.",
                               "Recherche de mises à jour… Cette page la suit d'elle-même."},
        [M_UPDATES_DOWNLOADING] = {"Downloading %s: %d%% (%s of %s).",
                                   "Téléchargement de %s : %d %% (%s sur %s)."},
        [M_UPDATES_DONE] = {"Updates checked.", "Mises à jour vérifiées."},
        [M_UPDATES_FAILED] = {"Checking for updates failed: %s",
                              "La recherche de mises à jour a échoué : %s"},
        [M_UPDATES_EMPTY] = {"The catalogue offers no course.",
                             "Le catalogue ne propose aucun cours."},
        [M_COURSE] = {"Course", "Cours"},
        [M_VERSION] = {"Version", "Version"},
        [M_SIZE] = {"Size", "Taille"},
        [M_STATUS] = {"Status", "État"},
        [M_ST_INSTALLED] = {"Installed", "Installé"},
        [M_ST_AVAILABLE] = {"Available", "Disponible"},
        [M_ST_UPDATE] = {"Update available (version %llu installed)",
                         "Mise à jour disponible (version %llu installée)"},
        [M_ST_DOWNLOADING] = {"Downloading: %d%%", "Téléchargement : %d %%"},
        [M_ST_RESUMABLE] = {"Download cut: it resumes at the next check",
                            "Téléchargement interrompu : il reprendra à la prochaine recherche"},
        [M_REQUIRED] = {"Required", "Obligatoire"},
        [M_REQUIRED_DUE] = {"Required — due %s", "Obligatoire — avant le %s"},
        [M_OVERDUE] = {"overdue", "en retard"},
        [M_MARK_NEW] = {"New", "Nouveau"},
        [M_MARK_UPDATED] = {"Updated", "Mis à jour"},
};

const char *relais_tr(enum lang lang, enum msg msg)
{
	const char *s = msg < M_COUNT ? words[msg][lang == LANG_FR] : NULL;

	return s ? s : "";
}

enum lang relais_lang_from_header(const char *h)
{
	/* The first language the browser prefers decides; q-values are rare
	 * enough in first place to ignore. */
	if (h == NULL) {
		return LANG_EN;
	}
	while (*h == ' ') {
		h++;
	}
	return strncasecmp(h, "fr", 2) == 0 ? LANG_FR : LANG_EN;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void relais_tr_format(char *out, size_t size, enum lang lang, enum msg msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	if (vsnprintf(out, size, relais_tr(lang, msg), ap) < 0 && size > 0) {
		out[0] = '\0';
	}
	va_end(ap);
}
#pragma GCC diagnostic pop
