#!/bin/bash
# Runs are named by date and commit, never by the number of the work that made them
# (the word, then a digit; a plot named -sN.png): comments say why, git says when.
# Fails, listing the lines, if one comes back.
cd "$(dirname "$0")/.." || exit 2
if grep -rnIiE '\bsession [0-9]|sessions? [0-9]|-s[0-9]+(-[a-z0-9]+)*\.png' \
	--exclude=check-wording.sh src docs bench tests guest scripts README.md; then
	echo "check-wording: name the run by its date and commit, not a session" >&2
	exit 1
fi
