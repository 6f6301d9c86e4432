/* craft_catalogue.c: the craft-catalogue tool: signed catalogues for the courses-down tests. */
#include "craft.h"

int main(int argc, char **argv)
{
	return craft_catalogue_main(argc, argv);
}
