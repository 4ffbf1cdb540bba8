"""In the container of an exported gateway (compose, swarm, Kubernetes): prepare the keys, then exec supervisord.

`planoai up` hands each referenced key to the Engine API already escaped for the double-quoted YAML scalar that the
substitution puts it in. An exported deployment gets its keys from the engine instead (compose's `.env`, a Docker
secret file in /run/secrets, a Kubernetes Secret), so this script, shipped beside supervisord's config, does the
same in the container before supervisord starts:

- each name listed in PLANO_ENVOY_VARS / PLANO_CONFIG_VARS is read from /run/secrets/NAME when that file exists
  (swarm), else from the environment, and exported escaped exactly as `up` escapes it (a JSON string body);
- supervisord starts exactly as under `up`, through start.sh (its config plus the wake plugin, which makes it
  act on start, stop and exits at once); under a non-root user (Kubernetes' runAsUser) it is told to stay that
  user, since its config names root.

It runs under the image's python3 (supervisord is a Python program, so every gateway image has one) and uses the
standard library only.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import MutableMapping

SECRETS_DIR = "/run/secrets"
START = ("/bin/sh", "/etc/plano/supervisord/start.sh")  # `up`'s command too (gateway/spec.py)
LISTS = ("PLANO_ENVOY_VARS", "PLANO_CONFIG_VARS")


def names(environ: MutableMapping[str, str]) -> list[str]:
    """The variables the rendered files reference, as the two substitution lists name them."""
    words = " ".join(environ.get(name, "") for name in LISTS).split()
    return sorted({word.lstrip("$").strip("{}") for word in words if word.lstrip("$")})


def read_secret(name: str, secrets_dir: str = SECRETS_DIR) -> str | None:
    """A Docker secret's value (one trailing line break dropped, as `echo KEY | docker secret create` adds it)."""
    path = os.path.join(secrets_dir, name)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        value = f.read()
    return value[:-2] if value.endswith("\r\n") else value.removesuffix("\n")


def escaped(value: str) -> str:
    """The value as the body of a double-quoted YAML scalar (what `planoai up` passes)."""
    return json.dumps(value)[1:-1]


def prepare(environ: MutableMapping[str, str], secrets_dir: str = SECRETS_DIR) -> None:
    """Export every referenced key, escaped; a name with no value stays unset (the substitution empties it)."""
    for name in names(environ):
        value = read_secret(name, secrets_dir)
        if value is None:
            value = environ.get(name)
        if value is not None:
            environ[name] = escaped(value)


def command(uid: int) -> list[str]:
    """supervisord's command line; a non-root user keeps its uid (supervisord would refuse `user=root`)."""
    args = list(START)
    return [*args, "--user", str(uid)] if uid != 0 else args


def main() -> None:
    prepare(os.environ)
    args = command(os.getuid())
    sys.stdout.flush()
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
