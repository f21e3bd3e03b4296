# SPDX-License-Identifier: MIT
# bash completion for kmsgqctl(1): commands, each command's options, and
# queue names from `kmsgqctl list` where a command takes a queue.
# Installed as .../bash-completion/completions/kmsgqctl.

_kmsgqctl_queues()
{
	kmsgqctl list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_kmsgqctl()
{
	local cur prev cmd i opts
	local commands="list show create unlink send recv watch info"

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The command: the first word after kmsgqctl that is not an option.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
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
	# (recv's --prio is a switch).
	case $cmd:$prev in
	recv:--prio) ;;
	*:--depth | *:--msgsize | *:--mode | *:--prio | *:--timeout | \
	*:--count | *:--interval)
		return
		;;
	esac

	case $cmd in
	list | show) opts="--numeric --json" ;;
	info) opts="--json" ;;
	create) opts="--ring --depth --msgsize --mode --excl" ;;
	unlink) opts="--force" ;;
	send) opts="--prio --timeout --nonblock --lines" ;;
	recv) opts="--count --all --timeout --nonblock --prio --raw --json" ;;
	watch) opts="--interval --count --json" ;;
	*) return ;;
	esac
	opts="$opts --help"

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	elif [[ $cmd =~ ^(show|unlink|send|recv|watch)$ ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_kmsgqctl_queues)" -- "$cur")
	fi
} &&
	complete -F _kmsgqctl kmsgqctl
