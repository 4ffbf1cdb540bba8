#!/bin/sh
# /usr/local/bin/supervisord in the testbed image: supervisor is pip-installed under /opt/supervisor (no venv,
# no apt package), so this wrapper makes it callable at the same path as in the production image.
export PYTHONPATH="/opt/supervisor${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m supervisor.supervisord "$@"
