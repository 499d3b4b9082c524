/* placeholder */
#include "cli/cli.h"
int nsl_cmd_capture(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}
