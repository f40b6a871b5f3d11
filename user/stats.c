// SPDX-License-Identifier: GPL-2.0
#include "stats.h"

#define VX_PRINT_FIELD(name) fprintf(f, "%s %s %llu\n", obj, #name, (unsigned long long)s->name);

void vx_port_stats_print(FILE *f, const char *obj, const struct vx_port_stats *s)
{
	VX_PORT_COUNTERS(VX_PRINT_FIELD)
}

void vx_nic_stats_print(FILE *f, const char *obj, const struct vx_nic_stats *s)
{
	VX_NIC_COUNTERS(VX_PRINT_FIELD)
}

void vx_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
