#!/bin/sh
# Install a CRIU that works on this kernel, when the one on PATH does not.
#
# Debian bookworm's criu 3.17 fails `criu check` on 6.x kernels (the
# [vvar_vclock] mapping breaks its vDSO parser); CRIU 4.1.1 works.  This
# script builds it from Debian trixie's source package and installs the
# binary as /usr/local/sbin/criu (ahead of /usr/sbin on PATH).  bookworm's
# libcriu, which nook links, talks to the newer binary over RPC.
#
# Idempotent: when `criu check` already succeeds nothing is done.  The
# archive address is taken from this machine's own apt sources; apt runs
# with a private sources list, lists and cache, so the system's apt state
# (sources, package lists) is not changed.  Build dependencies and iptables
# (CRIU's network lock runs iptables-restore) come from the system's archive.
set -eu

CRIU_VERSION=4.1.1
SOURCE_SUITE=trixie
PREFIX=/usr/local/sbin
BUILD_DEPS="
	build-essential pkg-config iptables xz-utils
	libbsd-dev libgnutls28-dev libnet1-dev libnftables-dev libnl-3-dev
	libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler
	uuid-dev libcap-dev
"

say() { echo "install-criu.sh: $*"; }
die() { echo "install-criu.sh: $*" >&2; exit 1; }

criu_works() {
	command -v criu >/dev/null 2>&1 && criu check >/dev/null 2>&1
}

if criu_works && command -v iptables-restore >/dev/null 2>&1; then
	say "$(command -v criu) ($(criu --version | sed -n 's/^Version: //p')) passes \`criu check\`: nothing to do"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -- "$0" "$@"
	fi
	die "must run as root (and sudo is not installed)"
fi

export DEBIAN_FRONTEND=noninteractive

# Print "URI" of the first Debian archive entry of the running release
# (`Suites:` / suite field equal to VERSION_CODENAME), reading one-line
# *.list files and deb822 *.sources files the way apt does.
mirror_from_apt_sources() {
	codename=$1
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [opts] URI suite components...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v c="$codename" '$1 == "deb" && $3 == c { print $2; exit }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Paragraphs separated by blank lines; fields "Key: value".
		awk -v c="$codename" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " c " ") &&
				    enabled != "no" && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit }
				types = ""; suites = ""; uris = ""; enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "uris") uris = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { if (!found) flush() }' "$f"
	done
}

. /etc/os-release
codename=${VERSION_CODENAME:-}
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
mirror=$(mirror_from_apt_sources "$codename" | head -n 1)
[ -n "$mirror" ] || die "no \`deb\` entry for $codename in /etc/apt/sources.list{,.d/*.list,.d/*.sources}"
say "using the archive of the $codename entry in the apt sources: $mirror"

work=$(mktemp -d /tmp/install-criu.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
chmod 0755 "$work" # apt downloads as the unprivileged _apt user
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/src"
chown _apt "$work/src" 2>/dev/null || true
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring missing (package debian-archive-keyring)"
echo "deb-src [signed-by=$keyring] $mirror $SOURCE_SUITE main" >"$work/sources.list"

# Private apt: own sources list, no sources.list.d, own lists and caches.
apt_private() {
	cmd=$1
	shift
	"$cmd" -q \
		-o Dir::Etc::sourcelist="$work/sources.list" \
		-o Dir::Etc::sourceparts="$work/parts" \
		-o Dir::State::lists="$work/lists" \
		-o Dir::Cache="$work/cache" \
		-o APT::Get::List-Cleanup=0 \
		"$@"
}

say "installing build dependencies from $codename:" $BUILD_DEPS
# shellcheck disable=SC2086 # word splitting of the list is wanted
if ! apt-get install -y -qq --no-install-recommends $BUILD_DEPS >/dev/null; then
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $BUILD_DEPS >/dev/null
fi

say "fetching the $SOURCE_SUITE source index (private apt state in $work)"
apt_private apt-get update -qq
srcver=$(apt_private apt-cache showsrc criu 2>/dev/null |
	awk -v v="$CRIU_VERSION" '$1 == "Version:" && index($2, v "-") == 1 { print $2; exit }')
[ -n "$srcver" ] || die "$SOURCE_SUITE has no source package criu $CRIU_VERSION"
say "downloading criu $srcver source"
# Only the .orig tarball may be served; apt's own unpacking is not needed.
(cd "$work/src" && apt_private apt-get source --download-only "criu=$srcver" >/dev/null 2>&1) || true
orig=$(ls "$work"/src/criu_"$CRIU_VERSION".orig.tar.* 2>/dev/null | head -n 1)
[ -n "$orig" ] || die "apt-get source --download-only criu=$srcver produced no criu_$CRIU_VERSION.orig.tar.*"

say "building criu $CRIU_VERSION"
tar -C "$work/src" -xf "$orig"
dir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'criu*' | head -n 1)
[ -n "$dir" ] || die "$orig holds no criu* directory"
make -s -C "$dir" -j"$(nproc)" criu >"$work/build.log" 2>&1 || {
	tail -n 30 "$work/build.log" >&2
	die "make criu failed"
}
install -D -m 0755 "$dir/criu/criu" "$PREFIX/criu"
hash -r 2>/dev/null || true

"$PREFIX/criu" check || die "$PREFIX/criu check failed"
case "$(command -v criu)" in
"$PREFIX/criu") ;;
*) say "warning: $(command -v criu) comes before $PREFIX on PATH" ;;
esac
say "installed $PREFIX/criu ($("$PREFIX/criu" --version | sed -n 's/^Version: //p'))"
