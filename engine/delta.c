/* delta.c: deltas between two versions of a bundle (docs/bundle-format.md, "Deltas"). */
#include "relais/delta.h"

#include "relais/error.h"

int relais_delta_build(struct relais_delta_info *info, relais_ctx *ctx, const char *old_bundle,
                       const char *new_bundle, const char *out_path)
{
	(void)info, (void)old_bundle, (void)new_bundle, (void)out_path;
	return relais_fail(ctx, RELAIS_EFORMAT, "deltas: not written yet");
}

int relais_delta_read_info(struct relais_delta_info *info, relais_ctx *ctx, const char *delta_path)
{
	(void)info, (void)delta_path;
	return relais_fail(ctx, RELAIS_EFORMAT, "deltas: not written yet");
}

int relais_delta_apply(struct relais_delta_info *info, relais_ctx *ctx, const char *base_bundle,
                       const char *delta_path, const char *out_path)
{
	(void)info, (void)base_bundle, (void)delta_path, (void)out_path;
	return relais_fail(ctx, RELAIS_EFORMAT, "deltas: not written yet");
}
