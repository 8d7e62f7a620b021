# Sourced by the ensure-* scripts: install Debian packages with apt-get when
# we are root (or have password-less sudo), otherwise say what to install.
#
#   apt_ensure <script name> <why> <check command> <package>...
#
# Runs <check command>; when it fails, installs the packages and checks
# again. Returns 0 when the check passes, 1 (after one sentence on stderr)
# when it cannot be made to.

apt_ensure() {
  local name="$1" why="$2" check="$3"
  shift 3
  local packages=("$@")
  if eval "$check"; then
    return 0
  fi
  local as_root=none
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$as_root" != none ]; then
    echo "$name: $why; installing Debian's ${packages[*]} with apt-get." >&2
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine has no package lists; one update, then the install.
    if ! $as_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1; then
      $as_root apt-get update -qq
      $as_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    fi
    if eval "$check"; then
      return 0
    fi
    echo "$name: apt-get installed ${packages[*]}, but the check still fails; try 'apt-get install ${packages[*]}' by hand." >&2
    return 1
  fi
  echo "$name: $why; install it as root with 'apt-get update && apt-get install -y ${packages[*]}', then run make again." >&2
  return 1
}
