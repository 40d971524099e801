#!/usr/bin/env bash
# Make sure the database servers the integration tests use are up:
#   PostgreSQL  127.0.0.1:5432, user postgres (no password), database test
#   MariaDB     127.0.0.1:3306, user root (empty password), database test
# A server that already answers is left alone. One that does not is started
# (installed with apt first when it is not installed at all), then waited for.
#
# Access: a server this script installs (or any server when CI=true) is set up
# for the passwordless test users above, for connections from 127.0.0.1 only.
# An existing server that refuses them is reported, never reconfigured.
#
# Environment: SERVICES_TIMEOUT (seconds to wait for each server, default 60).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
LOG_PREFIX=services

HOST=127.0.0.1
PG_PORT=5432
MY_PORT=3306
DB="test"
TIMEOUT="${SERVICES_TIMEOUT:-60}"

in_ci() { case "${CI:-}" in true | TRUE | True | 1 | yes) return 0 ;; *) return 1 ;; esac; }
have() { command -v "$1" >/dev/null 2>&1; }

# wait_for NAME CMD...: run CMD every second until it succeeds or TIMEOUT passes.
wait_for() {
  local name=$1 deadline=$((SECONDS + TIMEOUT))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$name did not accept connections within ${TIMEOUT}s"
      return 1
    fi
    sleep 1
  done
}

show_log() {
  local file
  for file in "$@"; do
    if as_root test -r "$file"; then
      log "last lines of $file:"
      as_root tail -n 20 "$file" >&2 || true
      return 0
    fi
  done
}

# --------------------------------------------------------------- PostgreSQL

pg_ready() { pg_isready -h "$HOST" -p "$PG_PORT" -q; }
pg_sql() { PGCONNECT_TIMEOUT=5 psql -X -w -h "$HOST" -p "$PG_PORT" -U postgres -d "${PGDB:-postgres}" -Atq -v ON_ERROR_STOP=1 "$@"; }
pg_local_sql() { as_root runuser -u postgres -- psql -X -Atq -v ON_ERROR_STOP=1 "$@"; }
# The installed major version (directory names like 15); the newest if there are several.
# shellcheck disable=SC2012
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }

pg_grant_local_access() {
  local hba line="host all postgres $HOST/32 trust"
  hba="$(pg_local_sql -c 'SHOW hba_file')"
  if ! as_root grep -qxF "$line" "$hba"; then
    log "PostgreSQL: letting user postgres connect from $HOST without a password ($hba)"
    as_root sed -i "1i $line" "$hba"
    pg_local_sql -c 'SELECT pg_reload_conf()' >/dev/null
  fi
}

ensure_postgres() {
  local installed=0 version
  if ! have pg_isready || ! have psql; then
    apt_install postgresql-client
  fi

  if pg_ready; then
    log "PostgreSQL: running on $HOST:$PG_PORT"
  else
    if ! have pg_ctlcluster || [ -z "$(pg_version)" ]; then
      apt_install postgresql
      installed=1
    fi
    version="$(pg_version)"
    log "PostgreSQL: starting cluster $version/main"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
      || log "PostgreSQL: pg_ctlcluster failed; waiting in case the server is already starting"
    if ! wait_for PostgreSQL pg_ready; then
      show_log "/var/log/postgresql/postgresql-$version-main.log"
      die "PostgreSQL is not up on $HOST:$PG_PORT"
    fi
    log "PostgreSQL: up on $HOST:$PG_PORT"
  fi

  if ! pg_sql -c 'SELECT 1' >/dev/null 2>&1; then
    if [ "$installed" -eq 1 ] || in_ci; then
      pg_grant_local_access
    fi
    pg_sql -c 'SELECT 1' >/dev/null \
      || die "PostgreSQL refuses user postgres from $HOST without a password; add 'host all postgres $HOST/32 trust' at the top of pg_hba.conf and reload"
  fi

  if [ "$(pg_sql -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    log "PostgreSQL: creating database $DB"
    pg_sql -c "CREATE DATABASE $DB"
  fi
  log "PostgreSQL: ready (postgresql://postgres@$HOST:$PG_PORT/$DB)"
}

# ------------------------------------------------------------------ MariaDB

my_ready() { mysqladmin --protocol=tcp -h "$HOST" -P "$MY_PORT" -u root --connect-timeout=5 ping; }
my_sql() { mysql --protocol=tcp -h "$HOST" -P "$MY_PORT" -u root --connect-timeout=5 -N -B "$@"; }
my_local_sql() { as_root mysql --protocol=socket -u root -N -B "$@"; }

my_grant_local_access() {
  log "MariaDB: letting root connect from $HOST with an empty password"
  my_local_sql -e "
    CREATE USER IF NOT EXISTS 'root'@'$HOST' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO 'root'@'$HOST' WITH GRANT OPTION;
    ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
    FLUSH PRIVILEGES;"
}

# ibis sets each session's time zone to 'UTC', which needs the time zone tables.
my_load_time_zones() {
  if [ "$(my_sql -e 'SELECT COUNT(*) FROM mysql.time_zone_name')" != 0 ]; then
    return 0
  fi
  [ -d /usr/share/zoneinfo ] || apt_install tzdata
  local tzinfo
  tzinfo="$(command -v mariadb-tzinfo-to-sql || command -v mysql_tzinfo_to_sql || true)"
  [ -n "$tzinfo" ] || die "MariaDB: no mariadb-tzinfo-to-sql to load the time zone tables"
  log "MariaDB: loading the time zone tables"
  "$tzinfo" /usr/share/zoneinfo 2>/dev/null | my_sql mysql
}

ensure_mariadb() {
  local installed=0
  if ! have mysqladmin || ! have mysql; then
    apt_install mariadb-client
  fi

  if my_ready >/dev/null 2>&1; then
    log "MariaDB: running on $HOST:$MY_PORT"
  else
    if [ ! -x /usr/sbin/mariadbd ]; then
      apt_install mariadb-server
      installed=1
    fi
    # the socket/pid directory lives on tmpfs and is gone after a reboot
    as_root install -d -o mysql -g mysql /run/mysqld
    log "MariaDB: starting /usr/sbin/mariadbd"
    as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    if ! wait_for MariaDB my_ready; then
      show_log /var/log/mysql/error.log
      die "MariaDB is not up on $HOST:$MY_PORT"
    fi
    log "MariaDB: up on $HOST:$MY_PORT"
  fi

  if ! my_sql -e 'SELECT 1' >/dev/null 2>&1; then
    if [ "$installed" -eq 1 ] || in_ci; then
      my_grant_local_access
    fi
    my_sql -e 'SELECT 1' >/dev/null \
      || die "MariaDB refuses root from $HOST with an empty password; create 'root'@'$HOST' with an empty password"
  fi

  my_sql -e "CREATE DATABASE IF NOT EXISTS $DB"
  my_load_time_zones
  log "MariaDB: ready (mysql://root@$HOST:$MY_PORT/$DB)"
}

ensure_postgres
ensure_mariadb
