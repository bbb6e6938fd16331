#!/usr/bin/env bash
# Throwaway Redmine (Debian 12 package, SQLite backend) on 127.0.0.1 for API tests.
#
#   redmine.sh [start]   install if needed, start server, configure, print API key (idempotent)
#                        and store it in $STATE/api_key (tests read it from there)
#   redmine.sh smoke     run the curl smoke test against the running server
#   redmine.sh reset     stop, restore the pristine DB snapshot (no issues), start, re-apply config
#   redmine.sh stop      stop the server (by the PID in its pid file)
#   redmine.sh status
#   redmine.sh key       print the stored API key
#
# Env: REDMINE_PORT (3000), REDMINE_PROJECT (support), REDMINE_ADMIN_PASSWORD (adminadmin),
#      REDMINE_API_KEY (optional: force this 40-hex API key for admin, so tests can hardcode it)
# Must run as root (apt-get, and the server runs as www-data like Debian's README says).
set -euo pipefail

PORT=${REDMINE_PORT:-3000}
HOST=127.0.0.1
PROJECT=${REDMINE_PROJECT:-support}
ADMIN_PASSWORD=${REDMINE_ADMIN_PASSWORD:-adminadmin}
STATE=${PEERS_DIR:-/tmp/sccli-peers}/redmine
PIDFILE=$STATE/server.pid
LOG=$STATE/server.log
DB=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
SNAPSHOT=$STATE/pristine.sqlite3
APP=/usr/share/redmine
URL=http://$HOST:$PORT

log() { echo "[redmine.sh $(date +%T)] $*" >&2; }

# Run a command in the Redmine app dir as www-data (setpriv execs, no extra su process).
as_www() {
  (cd "$APP" && setpriv --reuid=www-data --regid=www-data --init-groups \
     env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/www LANG=C.UTF-8 \
         REDMINE_INSTANCE=default RAILS_ENV=production "$@")
}

install_pkgs() {
  local missing=0 p
  for p in redmine redmine-sqlite thin; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing=1
  done
  [ $missing = 0 ] && return 0
  log "installing redmine redmine-sqlite thin (no recommends: avoids passenger/ghostscript)"
  debconf-set-selections <<'EOF'
redmine redmine/current-instances string default
redmine redmine/instances/default/dbconfig-install boolean true
redmine redmine/instances/default/database-type select sqlite3
redmine redmine/default-language string en
redmine redmine/instances/default/default-language string en
EOF
  apt-get update -qq
  # thin must be installed too: Redmine's Gemfile only pulls in a web server if `require 'thin'`
  # works; webrick is not in the bundle, so `rails server`/`rackup` fail without it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    redmine redmine-sqlite thin >"$STATE/apt-install.log" 2>&1 \
    || { tail -30 "$STATE/apt-install.log"; exit 1; }
}

ensure_db() {
  # The package postinst (dbconfig-common) normally creates + migrates + seeds the DB.
  # Only if that was skipped do it by hand. SCHEMA=/dev/null: db/schema.rb is read-only.
  if [ ! -s "$DB" ]; then
    log "DB missing: migrating and loading default data"
    install -d -o root -g www-data -m 2770 "$(dirname "$DB")"
    as_www bundle exec rake db:migrate SCHEMA=/dev/null >"$STATE/migrate.log" 2>&1
    as_www bundle exec rake redmine:load_default_data REDMINE_LANG=en >>"$STATE/migrate.log" 2>&1
  fi
}

running() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/" 2>/dev/null)" != 000 ]; }

start_server() {
  if running; then log "already listening on $URL"; return 0; fi
  log "starting thin on $URL"
  rm -f "$PIDFILE"
  # rackup (not `rails server`): `rails server` insists on mkdir /usr/share/redmine/tmp (EACCES).
  # Plain command + & (setpriv and env exec), so $! is the rackup/thin PID itself.
  cd "$APP"
  setpriv --reuid=www-data --regid=www-data --init-groups \
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/www LANG=C.UTF-8 \
        REDMINE_INSTANCE=default RAILS_ENV=production \
    rackup -s thin -E production -o $HOST -p "$PORT" -P "$PIDFILE" >"$LOG" 2>&1 </dev/null &
  local pid=$! t0=$SECONDS
  cd - >/dev/null
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/" 2>/dev/null)" != 000 ]; do
    kill -0 $pid 2>/dev/null || { log "server died:"; cat "$LOG" >&2; exit 1; }
    [ $((SECONDS - t0)) -gt 60 ] && { log "timeout"; cat "$LOG" >&2; exit 1; }
    sleep 0.2
  done
  [ "$(cat "$PIDFILE" 2>/dev/null)" = "$pid" ] || echo $pid >"$PIDFILE"
  log "up (pid $pid) after $((SECONDS - t0))s"
}

configure() {
  cat >"$STATE/setup.rb" <<'EOF'
Redmine::DefaultData::Loader.load('en') if IssueStatus.count == 0  # same as rake redmine:load_default_data
Setting.rest_api_enabled = '1'
Setting.login_required = '1'            # anonymous API calls get 401, like a private install
admin = User.find_by_login!('admin')
pw = ENV.fetch('ADMIN_PASSWORD')
if admin.must_change_passwd? || !admin.check_password?(pw)
  # Debian seeds admin/admin with must_change_passwd=1: Basic auth then gets 403.
  admin.password = admin.password_confirmation = pw
  admin.must_change_passwd = false
  admin.save!
end
if (want = ENV['API_KEY'].to_s) != ''
  t = Token.find_by(user_id: admin.id, action: 'api') || Token.new(user: admin, action: 'api')
  t.value = want
  t.save!
end
key = admin.api_key                     # creates the 'api' token if missing
project = Project.find_by(identifier: ENV.fetch('PROJECT')) ||
  Project.create!(name: ENV.fetch('PROJECT').capitalize, identifier: ENV.fetch('PROJECT'), is_public: true)
puts "project=#{project.identifier} trackers=#{project.trackers.map(&:name).join(',')} " \
     "statuses=#{IssueStatus.count} priorities=#{IssuePriority.count}"
puts "API_KEY=#{key}"
EOF
  chmod 644 "$STATE/setup.rb"
  as_www ADMIN_PASSWORD="$ADMIN_PASSWORD" API_KEY="${REDMINE_API_KEY:-}" PROJECT="$PROJECT" \
    bundle exec rails runner "$STATE/setup.rb" | tee "$STATE/setup.out" >&2
  [ -f "$SNAPSHOT" ] || cp "$DB" "$SNAPSHOT"
  # Tests (tests/integration/test_redmine_live.py) read the key from here.
  sed -n 's/^API_KEY=//p' "$STATE/setup.out" >"$STATE/api_key.tmp"
  # 644: a throwaway loopback admin key; tests may run unprivileged.
  chmod 644 "$STATE/api_key.tmp"; mv "$STATE/api_key.tmp" "$STATE/api_key"
  echo "$URL" >"$STATE/url"
}

stop_server() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      log "stopped pid $pid"
    fi
    rm -f "$PIDFILE"
  else
    log "no pid file"
  fi
}

smoke() {
  local K; K=$(sed -n 's/^API_KEY=//p' "$STATE/setup.out")
  local H=(-sS -f -H "X-Redmine-API-Key: $K" -H 'Content-Type: application/json')
  local id
  id=$(curl "${H[@]}" -X POST "$URL/issues.json" \
        -d "{\"issue\":{\"project_id\":\"$PROJECT\",\"subject\":\"Smoke $(date +%s) — проверка\",\"description\":\"created by redmine.sh smoke\"}}" \
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["issue"]["id"])')
  echo "created issue $id"
  curl "${H[@]}" -X PUT "$URL/issues/$id.json" -d '{"issue":{"notes":"a note — заметка"}}' -o /dev/null -w 'PUT note: HTTP %{http_code}\n'
  curl "${H[@]}" "$URL/issues.json?updated_on=%3E%3D2020-01-01T00:00:00Z&include=journals&status_id=*&sort=updated_on" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print("list: total_count", d["total_count"], "ids", [i["id"] for i in d["issues"]])'
  curl "${H[@]}" "$URL/issues/$id.json?include=journals" \
    | python3 -c 'import json,sys; i=json.load(sys.stdin)["issue"]; print("show:", i["subject"], "| journals:", [j["notes"] for j in i["journals"]])'
  curl -s -o /dev/null -w 'anonymous GET /issues.json: HTTP %{http_code} (expect 401)\n' "$URL/issues.json"
  curl -s -o /dev/null -w "basic auth admin: HTTP %{http_code} (expect 200)\n" -u "admin:$ADMIN_PASSWORD" "$URL/users/current.json"
}

mkdir -p "$STATE"; chown www-data: "$STATE"
case "${1:-start}" in
  start)
    install_pkgs; ensure_db; start_server; configure
    cat "$STATE/api_key" ;;
  stop)   stop_server ;;
  key)    cat "$STATE/api_key" ;;
  status) running && echo "running on $URL (pid $(cat "$PIDFILE" 2>/dev/null))" || echo "not running" ;;
  smoke)  smoke ;;
  reset)
    [ -f "$SNAPSHOT" ] || { echo "no snapshot; run start first" >&2; exit 1; }
    stop_server; cp "$SNAPSHOT" "$DB"; chown root:www-data "$DB"; chmod 660 "$DB"
    start_server; configure; cat "$STATE/api_key" ;;
  *) echo "usage: $0 [start|stop|status|smoke|reset|key]" >&2; exit 2 ;;
esac
