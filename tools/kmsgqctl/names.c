// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's user and group names: through NSS when the tool is linked
 * dynamically (make tools-shared, the installed tool), from /etc/passwd and
 * /etc/group when it is linked statically (the guest's), since glibc cannot
 * load NSS modules into a static program.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef KMSGQ_TOOLS_SHARED
#include <grp.h>
#include <pwd.h>
#endif

#include "kmsgqctl.h"

#ifdef KMSGQ_TOOLS_SHARED
static bool names_user(unsigned int uid, char *buf, size_t size)
{
	const struct passwd *pw = getpwuid(uid);

	return pw && snprintf(buf, size, "%s", pw->pw_name) > 0;
}

static bool names_group(unsigned int gid, char *buf, size_t size)
{
	const struct group *gr = getgrgid(gid);

	return gr && snprintf(buf, size, "%s", gr->gr_name) > 0;
}
#else
/*
 * Name of user or group @id from @file (/etc/passwd or /etc/group) into
 * @buf, or false.
 */
static bool names_lookup(const char *file, unsigned int id, char *buf,
			 size_t size)
{
	bool found = false;
	size_t cap = 0;
	char *line = NULL;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *name = line, *idstr, *end;
		unsigned long v;

		idstr = strchr(line, ':');
		if (!idstr)
			continue;
		*idstr++ = '\0';
		idstr = strchr(idstr, ':');
		if (!idstr || idstr[1] < '0' || idstr[1] > '9')
			continue;
		v = strtoul(idstr + 1, &end, 10);
		if (*end == ':' && v == id && *name) {
			snprintf(buf, size, "%s", name);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

static bool names_user(unsigned int uid, char *buf, size_t size)
{
	return names_lookup("/etc/passwd", uid, buf, size);
}

static bool names_group(unsigned int gid, char *buf, size_t size)
{
	return names_lookup("/etc/group", gid, buf, size);
}
#endif

void names_owner(const struct kmsgq_queue_entry *e, bool numeric,
		 struct names_owner *o)
{
	o->has_user = !numeric && names_user(e->uid, o->user, sizeof(o->user));
	o->has_group = !numeric &&
		names_group(e->gid, o->group, sizeof(o->group));
	if (!o->has_user)
		snprintf(o->user, sizeof(o->user), "%u", e->uid);
	if (!o->has_group)
		snprintf(o->group, sizeof(o->group), "%u", e->gid);
}
