# SPDX-License-Identifier: MIT
# bash completion for kmsgqctl(1): commands, each command's options,
# queue names from `kmsgqctl list` where a command takes a queue, and user
# and group names for chown.
# Installed as .../bash-completion/completions/kmsgqctl.

_kmsgqctl_queues()
{
	kmsgqctl list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_kmsgqctl()
{
	local cur prev cmd i opts words prefix nargs=0
	local commands="list show create unlink chmod chown send recv peek subscribers watch info"

	COMPREPLY=()
	# The words up to the cursor, split at blanks only: COMP_WORDS is also
	# split at COMP_WORDBREAKS, which holds the ':' of chown's OWNER:GROUP.
	read -ra words <<<"${COMP_LINE:0:COMP_POINT}."
	cur=${words[-1]%.}
	prev=${words[-2]}

	# The command: the first word after kmsgqctl that is not an option;
	# nargs: how many arguments, not options, follow it before this word.
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		case ${words[i]} in
		-*) ;;
		*)
			if [ -z "$cmd" ]; then
				cmd=${words[i]}
			else
				nargs=$((nargs + 1))
			fi
			;;
		esac
	done

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--json --help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		fi
		return
	fi

	# After an option that takes a number: nothing sensible to offer
	# (recv's and peek's --prio is a switch); after --overflow, its values.
	case $cmd:$prev in
	recv:--prio | peek:--prio) ;;
	create:--overflow)
		mapfile -t COMPREPLY < <(compgen -W "block fail drop" -- "$cur")
		return
		;;
	*:--depth | *:--msgsize | *:--mode | *:--prio | *:--timeout | \
	*:--count | *:--interval | *:--index)
		return
		;;
	esac

	case $cmd in
	list | show) opts="--numeric --json" ;;
	info | subscribers) opts="--json" ;;
	create) opts="--ring --reclaim --fanout --inplace --sender --overflow --depth --msgsize --mode --excl" ;;
	unlink) opts="--force" ;;
	chmod | chown) opts="" ;;
	send) opts="--prio --timeout --nonblock --lines" ;;
	recv) opts="--count --all --timeout --nonblock --prio --sender --raw --json" ;;
	peek) opts="--index --count --all --timeout --nonblock --prio --sender --raw --json" ;;
	watch) opts="--interval --count --json" ;;
	*) return ;;
	esac
	opts="$opts --help"

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	elif [[ $cmd == chown && $nargs -eq 0 ]]; then
		# OWNER, OWNER:GROUP or :GROUP
		if [[ $cur == *:* ]]; then
			# The word bash replaces starts after the ':' if that
			# breaks words.
			prefix=${cur%%:*}:
			[[ $COMP_WORDBREAKS == *:* ]] && prefix=
			mapfile -t COMPREPLY < <(compgen -g -P "$prefix" -- "${cur#*:}")
		else
			mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		fi
	elif [[ $cmd == chmod && $nargs -eq 0 ]]; then
		return	# an octal mode
	elif [[ $cmd =~ ^(show|unlink|chmod|chown|send|recv|peek|subscribers|watch)$ ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_kmsgqctl_queues)" -- "$cur")
	fi
} &&
	complete -F _kmsgqctl kmsgqctl
