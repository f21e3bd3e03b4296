// SPDX-License-Identifier: MIT
/*
 * kmsgqctl's user and group names, from ids and to ids: through NSS when
 * the tool is linked dynamically (make tools-shared, the installed tool),
 * from /etc/passwd and /etc/group when it is linked statically (the
 * guest's), since glibc cannot load NSS modules into a static program.
 */
#define _GNU_SOURCE
#include <limits.h>
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

bool names_user_id(const char *name, unsigned int *uid)
{
	const struct passwd *pw = getpwnam(name);

	if (pw)
		*uid = pw->pw_uid;
	return pw;
}

bool names_group_id(const char *name, unsigned int *gid)
{
	const struct group *gr = getgrnam(name);

	if (gr)
		*gid = gr->gr_gid;
	return gr;
}
#else
/*
 * The entry of @file (/etc/passwd or /etc/group) named @name or, with
 * @name NULL, whose id is *@id: its id into *@id, or its name into @buf.
 * Return: whether there is one.
 */
static bool names_scan(const char *file, const char *name, unsigned int *id,
		       char *buf, size_t size)
{
	bool found = false;
	size_t cap = 0;
	char *line = NULL;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0) {
		char *entry = line, *idstr, *end;
		unsigned long v;

		idstr = strchr(line, ':');
		if (!idstr)
			continue;
		*idstr++ = '\0';
		idstr = strchr(idstr, ':');
		if (!idstr || idstr[1] < '0' || idstr[1] > '9')
			continue;
		v = strtoul(idstr + 1, &end, 10);
		if (*end != ':' || !*entry || v > UINT_MAX)
			continue;
		if (name && !strcmp(entry, name)) {
			*id = v;
			found = true;
		} else if (!name && v == *id) {
			snprintf(buf, size, "%s", entry);
			found = true;
		}
	}
	free(line);
	fclose(f);
	return found;
}

static bool names_user(unsigned int uid, char *buf, size_t size)
{
	return names_scan("/etc/passwd", NULL, &uid, buf, size);
}

static bool names_group(unsigned int gid, char *buf, size_t size)
{
	return names_scan("/etc/group", NULL, &gid, buf, size);
}

bool names_user_id(const char *name, unsigned int *uid)
{
	return names_scan("/etc/passwd", name, uid, NULL, 0);
}

bool names_group_id(const char *name, unsigned int *gid)
{
	return names_scan("/etc/group", name, gid, NULL, 0);
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
