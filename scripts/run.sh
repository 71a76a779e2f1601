#!/bin/sh
# `make run`: a demo of mod_charon on 127.0.0.1, in the foreground.
# Creates a SQLite database with demo crons and their history
# (harness/demo.py), an API key, an Apache configuration, prints curl
# lines for the four endpoints and serves until Ctrl-C.  Everything it
# writes is in run/ (ignored by git).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
port=${CHARON_PORT:-8080}
run="$top/run"
mods=/usr/lib/apache2/modules
mkdir -p "$run"

# httpd's children open the database and append the alerts.  As root
# they run as www-data, who must be able to reach the database's folder; a
# checkout under /root (mode 0700) is out of its reach, so the database
# and the alerts then go to /tmp.
user_lines=""
dbdir="$run"
if [ "$(id -u)" = 0 ]; then
    user_lines="User www-data
Group www-data"
    if ! runuser -u www-data -- test -x "$run" 2>/dev/null; then
        dbdir=/tmp/charon-run-db
        mkdir -p "$dbdir"
        echo "note: www-data cannot reach $run; the database is in $dbdir"
    fi
fi
db="$dbdir/charon.db"
# Alert channel 'demo' (CharonAlert ... file:): one JSON line per event,
# appended by the children (the file: transport makes it 0600, theirs).
alerts="$dbdir/alerts.jsonl"

# A new database with the demo crons, or an older demo's upgraded.
(cd "$top" && python3 -m harness.demo "$db")
(umask 077; touch "$alerts")
[ "$(id -u)" = 0 ] && chown -R www-data:www-data "$dbdir"

# One key per checkout, made once, readable by its owner only.
if [ ! -s "$run/api-key" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$run/api-key")
fi
key=$(cat "$run/api-key")
# The management API's key (admin=write), made once the same way.
if [ ! -s "$run/admin-key" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$run/admin-key")
fi
admin_key=$(cat "$run/admin-key")
# The manager page's password (user 'operator'), made once like the key.
if [ ! -s "$run/manager-password" ] || [ ! -s "$run/manager.htpasswd" ]; then
    (umask 077; head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$run/manager-password")
    htpasswd -cbB "$run/manager.htpasswd" operator "$(cat "$run/manager-password")" 2>/dev/null
    chmod 644 "$run/manager.htpasswd"
fi
manager_password=$(cat "$run/manager-password")

# The API's OpenAPI document and a page that shows it (Redoc, from the
# packages of tests/openapi: its script served from here, not a CDN).
"$top/scripts/deps.sh" --openapi >/dev/null
mkdir -p "$dbdir/openapi"
cp "$top/docs/openapi.yaml" "$dbdir/openapi/openapi.yaml"
cp "$top/build/openapi/node_modules/redoc/bundles/redoc.standalone.js" "$dbdir/openapi/"
"$top/build/openapi/node_modules/.bin/redocly" build-docs --disableGoogleFont \
    -o "$dbdir/openapi/index.html" "$top/docs/openapi.yaml" >/dev/null 2>&1
sed -i 's|https://cdn.redocly.com/redoc/[^"]*/redoc.standalone.js|redoc.standalone.js|' \
    "$dbdir/openapi/index.html"

cat > "$run/httpd.conf" <<CONF
# Written by scripts/run.sh for 'make run'; not for production.
ServerRoot "$run"
ServerName localhost
Listen 127.0.0.1:$port
PidFile "$run/httpd.pid"
DefaultRuntimeDir "$run"
ErrorLog /dev/stderr
LogLevel warn
$user_lines
# A connection for every thread that may want one (the README's advice):
# with fewer, a burst of requests waits for the pool.
ThreadsPerChild 25

LoadModule mpm_event_module  $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_user_module $mods/mod_authz_user.so
LoadModule authn_core_module $mods/mod_authn_core.so
LoadModule authn_file_module $mods/mod_authn_file.so
LoadModule auth_basic_module $mods/mod_auth_basic.so
LoadModule dbd_module        $mods/mod_dbd.so
LoadModule charon_module     "$top/.libs/mod_charon.so"

DBDriver sqlite3
DBDParams "$db"
DBDMax 25

# Slots judged within seconds of their grace, and alerts made within
# seconds of the run that causes them, for the demo (default 60s).
CharonWatchdogInterval 10s
CharonDefaultTimezone UTC

# Alerts (issue 14): every event of every cron, one JSON line each, to a
# file; a webhook, mail or a program take the same line with another URL
# (https://..., mailto:..., exec:/path).  Links in the events point to the
# manager page.
CharonAlert demo "file:$alerts"
CharonManagerURL "http://127.0.0.1:$port/charon-manager"

LoadModule alias_module      $mods/mod_alias.so
LoadModule mime_module       $mods/mod_mime.so
TypesConfig /etc/mime.types
AddType application/yaml .yaml
# docs/openapi.yaml, and a viewer of it.
Alias "/openapi/" "$dbdir/openapi/"
<Directory "$dbdir/openapi">
    Require all granted
</Directory>

<Location "/api/">
    SetHandler charon
    Require all granted
    CharonApiKey demo "$key"
</Location>

# The management API (docs/MANAGEMENT.md): crons as JSON, for scripts,
# Ansible, Terraform and charon-run apply.
<Location "/admin/api/">
    SetHandler charon-admin
    Require all granted
    CharonApiKey deploy "$admin_key" admin=write
</Location>

# The operator's view (docs/MANAGER.md, docs/METRICS.md).  The server
# listens on 127.0.0.1 only; in production, restrict these too.
<Location "/charon-manager">
    SetHandler charon-manager
    AuthType Basic
    AuthName "Charon manager (make run)"
    AuthBasicProvider file
    AuthUserFile "$run/manager.htpasswd"
    Require user operator
</Location>
<Location "/charon-metrics">
    SetHandler charon-metrics
    Require all granted
</Location>
<Location "/charon-health">
    SetHandler charon-health
    Require all granted
</Location>
CONF

base="http://127.0.0.1:$port/api"
cron_id=$(sqlite3 "$db" "SELECT id FROM charon_cron WHERE slug = 'nightly-backup'")
heartbeat_id=$(sqlite3 "$db" "SELECT id FROM charon_cron WHERE slug = 'heartbeat'")
tmp_id=$(sqlite3 "$db" "SELECT id FROM charon_cron WHERE slug = 'cleanup-tmp'")
cat <<TXT

mod_charon demo on $base/
API key (application 'demo'): $key

  curl -s -H 'X-API-KEY: $key' $base/nightly-backup/can-start
  curl -s -H 'X-API-KEY: $key' $base/weekly-report/can-start
  curl -s -H 'X-API-KEY: $key' -X POST $base/$cron_id/start
  curl -s -H 'X-API-KEY: $key' -d '{"message":"copied 3 files","type":"info"}' $base/1/message
  curl -s -H 'X-API-KEY: $key' -d '{"message":"done","type":"success","success":true}' $base/1/end

(use the id that start returned in place of 1)

Run control (docs/API.md): a retry with the same Idempotency-Key gets the
first answer again, and creates nothing:
  curl -si -H 'X-API-KEY: $key' -H 'Idempotency-Key: run-42' -X POST $base/$cron_id/start
Schedules (docs/API.md, "Schedules"): heartbeat runs @every 1m and nothing
starts it, so its slots are missed, one a minute (see the manager page or
the metrics within two minutes); start it once to see a slot on time:
  curl -s -H 'X-API-KEY: $key' -X POST $base/$heartbeat_id/start
A job may send its schedule with its start:
  curl -s -H 'X-API-KEY: $key' -H 'Content-Type: application/json' -d '{"schedule":"*/15 * * * *","timezone":"Europe/Paris"}' $base/$cron_id/start
Check a schedule before you deploy it:
  $top/build/charon-run next --timezone Europe/Paris '30 2 * * *'
Switch a cron off for an hour, with a reason; one run at a time:
  sqlite3 $db "UPDATE charon_cron SET active = 0, off_reason = 'migration', off_until = strftime('%Y-%m-%d %H:%M:%f', 'now', '+1 hour') WHERE slug = 'nightly-backup'"
  sqlite3 $db "UPDATE charon_cron SET active = 1, concurrency = 'forbid' WHERE slug = 'nightly-backup'"
Alerts (docs/ALERTS.md): channel 'demo' appends one JSON line per event to
$alerts; watch it in another terminal:
  tail -f $alerts
heartbeat goes down by itself within two minutes (its slots are missed).
Make one now: a run of cleanup-tmp that fails; its line comes within 10 s
(CharonWatchdogInterval), a run that succeeds brings the cron up again:
  id=\$(curl -s -H 'X-API-KEY: $key' -X POST $base/$tmp_id/start | tr -dc 0-9); curl -s -H 'X-API-KEY: $key' -d '{"message":"disk full","type":"error","success":false}' $base/\$id/end
  id=\$(curl -s -H 'X-API-KEY: $key' -X POST $base/$tmp_id/start | tr -dc 0-9); curl -s -H 'X-API-KEY: $key' -d '{"type":"success","success":true}' $base/\$id/end
The management API (docs/MANAGEMENT.md), key 'deploy' (admin=write):
  curl -s -H 'X-API-KEY: $admin_key' http://127.0.0.1:$port/admin/api/crons
  curl -si -H 'X-API-KEY: $admin_key' http://127.0.0.1:$port/admin/api/crons/nightly-backup
  curl -s -H 'X-API-KEY: $admin_key' -X PUT -d '{"name":"Billing sync","schedule":"*/5 * * * *","grace":120}' http://127.0.0.1:$port/admin/api/crons/billing-sync
  curl -s -H 'X-API-KEY: $admin_key' -X PATCH -d '{"grace":600}' 'http://127.0.0.1:$port/admin/api/crons/billing-sync?dry_run=1'
  curl -s -H 'X-API-KEY: $admin_key' -d '{"reason":"migration"}' http://127.0.0.1:$port/admin/api/crons/billing-sync/off
  curl -s -H 'X-API-KEY: $admin_key' http://127.0.0.1:$port/admin/api/audit
The operator's view:
  http://127.0.0.1:$port/charon-manager   (user operator, password $manager_password)
  curl -s http://127.0.0.1:$port/charon-metrics
  curl -s 'http://127.0.0.1:$port/charon-health?crons'
The API described (OpenAPI 3.1, docs/openapi.yaml), and shown:
  http://127.0.0.1:$port/openapi/index.html   (the document: /openapi/openapi.yaml)
Database: $db  (sqlite3 $db 'SELECT * FROM charon_execution')
Serving in the foreground; Ctrl-C stops.

TXT
exec /usr/sbin/apache2 -f "$run/httpd.conf" -DFOREGROUND
