#!/usr/bin/env bash
# `npm run package:deb [-- --version V] [--out DIR]`: the Debian package of this checkout
# (docs/install.md). From the built tree and package-lock.json: `npm ci --omit=dev` of the
# built tree, the native modules (better-sqlite3, serialport) compiled here for this Node's
# ABI (the package then depends on this Node major), files laid out as Debian has them, and
# dpkg-deb --root-owner-group builds the .deb. Nothing is fetched when the package installs.
#   V     the package version (default: package.json's version, Debian revision -1)
#   DIR   where the .deb goes (default: dist-deb/)
# Needs: dpkg-dev (dpkg-shlibdeps), g++, make, python3 (node-gyp), the npm cache or registry.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
ROOT=$PWD

version="$(node -p 'require("./package.json").version')-1"
out=$ROOT/dist-deb
while (($#)); do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    *) echo "package:deb: unknown argument $1; use --version V or --out DIR" >&2; exit 2 ;;
  esac
done

pkg=sms-otp-radiusd
arch=$(dpkg --print-architecture)
node_version=$(node -p 'process.versions.node')
node_major=${node_version%%.*}
engines=$(node -p 'require("./package.json").engines.node.replace(/^>=\s*/, "")')

# The build needs the development dependencies (tsc); a clean clone gets them from the lock file.
[[ -f node_modules/.package-lock.json ]] || npm ci --no-audit --no-fund
work=$(mktemp -d "${TMPDIR:-/tmp}/$pkg-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Compiled into the work directory, not the checkout's dist/: a daemon or test running from
# the checkout would otherwise load modules while tsc rewrites them.
npx --no-install tsc -p tsconfig.json --outDir "$work/dist" --sourceMap false
root=$work/root
app=$root/usr/lib/$pkg
mkdir -p "$app" "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/usr/lib/sysusers.d" \
  "$root/usr/lib/tmpfiles.d" "$root/etc/$pkg/scripts" "$root/usr/share/doc/$pkg" "$root/DEBIAN"

# The application: what `npm pack` would ship (package.json "files"), without the checkout's
# demo configuration: the installed command reads /etc/sms-otp-radiusd (src/config/load.ts).
cp -r package.json package-lock.json bin dictionaries web "$app/"
cp -r "$work/dist" "$app/dist"

# Production dependencies exactly as locked. --ignore-scripts: no `prepare` (tsc) and no
# download of prebuilt binaries; the two native modules are then compiled from source against
# this Node's headers (NodeSource's and Debian's nodejs install them under /usr/include/node).
(
  cd "$app"
  npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
  # Their own install scripts, run by npm (which brings node-gyp), with build_from_source:
  # prebuild-install and node-gyp-build then compile instead of using a prebuilt binary.
  [[ -f /usr/include/node/node_version.h ]] && export npm_config_nodedir=/usr
  for m in better-sqlite3 @serialport/bindings-cpp; do
    # The checkout's own copy of the same locked version, already compiled from source for
    # this Node by its `npm ci`, is taken as it is: compiling SQLite again costs ~100 s of CPU
    # for the same bytes. SMS_OTP_RADIUSD_DEB_REBUILD=1 compiles anyway.
    here=$checkout/node_modules/$m
    if [[ -z ${SMS_OTP_RADIUSD_DEB_REBUILD:-} && -d $here/build/Release ]] && ls "$here"/build/Release/*.node >/dev/null 2>&1 &&
      [[ $(node -p "require('$here/package.json').version") == $(node -p "require('./node_modules/$m/package.json').version") ]]; then
      mkdir -p "node_modules/$m/build/Release"
      cp "$here"/build/Release/*.node "node_modules/$m/build/Release/"
      continue
    fi
    (cd "node_modules/$m" && npm_config_build_from_source=true npm run install >"$work/build-$(basename $m).log" 2>&1) ||
      { cat "$work/build-$(basename $m).log" >&2; echo "package:deb: compiling $m failed (log above)" >&2; exit 1; }
  done
)
# What the compiled modules do not need at run time: sources, object files, other
# platforms' prebuilt binaries (node-gyp-build would prefer build/Release anyway).
nm=$app/node_modules
rm -rf "$nm/better-sqlite3/deps" "$nm/better-sqlite3/src" "$nm/@serialport/bindings-cpp/prebuilds"
for m in better-sqlite3 @serialport/bindings-cpp; do
  find "$nm/$m/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$nm/$m/build/Release" -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +
done
rm -f "$nm/.package-lock.json" "$nm/better-sqlite3/build/Release/test_extension.node"
# The modules load and are of this Node's ABI (a broken build fails here, not on a server).
(cd "$app" && node -e 'new (require("better-sqlite3"))(":memory:").close(); require("@serialport/bindings-cpp")')

# The command, the systemd files, the configuration, the documentation.
ln -s ../lib/$pkg/bin/$pkg.js "$root/usr/bin/$pkg"
chmod 755 "$app/bin/$pkg.js"
cp systemd/$pkg.service "$root/usr/lib/systemd/system/"
cp systemd/$pkg.sysusers "$root/usr/lib/sysusers.d/$pkg.conf"
cp packaging/debian/$pkg.tmpfiles "$root/usr/lib/tmpfiles.d/$pkg.conf"
cp packaging/$pkg.yaml "$root/etc/$pkg/$pkg.yaml"
cp LICENSE "$root/usr/share/doc/$pkg/copyright"
[[ -f docs/install.md ]] && cp docs/install.md "$root/usr/share/doc/$pkg/"
cp packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
echo "/etc/$pkg/$pkg.yaml" > "$root/DEBIAN/conffiles"

# Modes as Debian has them; dpkg-deb --root-owner-group makes every file root's.
find "$root" -type d -exec chmod 755 {} +
find "$root" -type f ! -path "$root/DEBIAN/*" -exec chmod go-w,a+r {} +
chmod 640 "$root/etc/$pkg/$pkg.yaml"
chmod 750 "$root/etc/$pkg"

# The shared libraries the native modules link (libc6, libstdc++6...), as dpkg-shlibdeps finds them.
mkdir -p "$work/debian" && printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' $pkg $pkg > "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O $(find "$app/node_modules" -name '*.node' | sed 's/^/-e/') 2>/dev/null | sed -n 's/^shlibs:Depends=//p')

(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
# The package works with the Node it was compiled for: the native modules' ABI is that of
# the Node major, and package.json's engines set the minimum.
cat > "$root/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: sms-otp-radiusd project <sms-otp-radiusd@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: nodejs (>= $engines), nodejs (<< $((node_major + 1))), ${shlibs:+$shlibs, }systemd | systemd-standalone-sysusers | systemd-sysusers, systemd | systemd-standalone-tmpfiles | systemd-tmpfiles
Section: net
Priority: optional
Description: RADIUS server for two-factor login with SMS one-time passwords
 sms-otp-radiusd answers RADIUS Access-Requests (and privacyIDEA's /validate API) with a
 PIN and a one-time password sent by SMS, the successor of privacyIDEA's SMS token.
 Built for Node.js $node_major (native modules of its ABI).
CONTROL

mkdir -p "$out"
deb=$out/${pkg}_${version}_${arch}.deb
dpkg-deb --build --root-owner-group -Zxz -z6 "$root" "$deb" >/dev/null
echo "$deb"
