#!/bin/sh
# The gateway container's command under `planoai up`: supervisord with supervisord.conf plus the wake plugin
# (wake.conf includes supervisord.conf; wake.py makes supervisord act on start, stop and exits at once instead
# of on its next one-second tick). Deployments that run supervisord.conf directly behave the same, only slower.
set -eu
here=/etc/plano/supervisord
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/local/bin/supervisord -n -c "$here/wake.conf" "$@"
