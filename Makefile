# Two commands: `make run` (the portal with a Celery worker and beat) and `make test`.
# `make serve` is the production web server (DEBUG=0; see README "Running in production").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEB_ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run serve test venv venv-dev lint messages check-deploy var

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

venv: $(VENV)/.runtime

venv-dev: $(VENV)/.dev

var:
	mkdir -p var/celery/queue var/celery/processed var/celery/results var/media

run: venv var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	WEB_ADDR=$(WEB_ADDR) $(BIN)/honcho -f Procfile start

# Production web server: collects static files (hashed, compressed, served by WhiteNoise), then
# gunicorn with governance/gunicorn.conf.py. Needs SECRET_KEY and ALLOWED_HOSTS; migrations are
# run once per release (`manage.py migrate`), not by every web host.
serve: venv
	DEBUG=0 $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	DEBUG=0 exec $(BIN)/gunicorn --config governance/gunicorn.conf.py

test: venv-dev var
	@status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest: no tests collected"; exit 0; fi; exit $$status

lint: venv-dev
	$(BIN)/ruff check .

messages: venv-dev
	$(BIN)/python manage.py makemessages -l zh_Hans --no-location --no-obsolete
	$(BIN)/python manage.py compilemessages -l zh_Hans

check-deploy: venv
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	ALLOWED_HOSTS=portal.example.gov.cn $(BIN)/python manage.py check --deploy --fail-level WARNING
