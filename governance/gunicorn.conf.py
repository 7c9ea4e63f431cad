"""gunicorn settings for `make serve` (production, DEBUG=0), read from the environment.

WEB_ADDR     address to bind, 127.0.0.1:8000: a TLS proxy on the same host forwards to it
WEB_CONCURRENCY  worker processes, 2 per core: pages wait on PostgreSQL about as long as they compute
WEB_TIMEOUT  seconds before a stuck worker is restarted
"""

import os

from governance.env import env_int, env_str

wsgi_app = "governance.wsgi:application"
bind = [env_str("WEB_ADDR", "127.0.0.1:8000")]
workers = env_int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1), minimum=1)
# Nine phone photos are cleaned in one request (up to ~30 s on a loaded 2-core host), and a
# roster of up to 3,000 rows is checked in the request: well inside the limit.
timeout = env_int("WEB_TIMEOUT", 120, minimum=10)
graceful_timeout = 30
# A worker is replaced after about a thousand requests, so memory a large upload left behind
# is given back; the jitter keeps the workers from restarting together.
max_requests = 1000
max_requests_jitter = 100
# The proxy on this host sets X-Forwarded-Proto/-For; nothing else may.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
# gunicorn's control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl), which two
# servers on a host would share; it is not used here (signals restart and stop the server).
control_socket_disable = True
