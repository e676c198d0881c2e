"""Writes the package.xml (PEAR package format 2.0) that makes the source
tarball a PECL package: `pecl install ./fpm_compat-<version>.tgz` reads it,
unpacks the files it lists, then runs phpize, configure, make, make install.

    python3 pecl_package_xml.py SRC_DIR VERSION EPOCH > package.xml

Every file under SRC_DIR is listed (PEAR unpacks only listed files; the
vendored crates are needed offline), with its md5sum as PEAR checks it:
the phpt suite as role "test", the docs as "doc", everything else "src".
"""

import datetime
import hashlib
import os
import sys
from xml.sax.saxutils import escape, quoteattr

DOCS = {"README.md", "CHANGELOG.md", "LICENSE"}


def role(path):
    if path in DOCS:
        return "doc"
    if path.startswith("php-tests/"):
        return "test"
    return "src"


def files(src):
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            yield os.path.relpath(full, src), full


def package_xml(src, version, epoch):
    date = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    entries = []
    for rel, full in files(src):
        with open(full, "rb") as f:
            md5 = hashlib.md5(f.read()).hexdigest()
        entries.append(f'   <file name={quoteattr(rel)} role="{role(rel)}" md5sum="{md5}"/>')
    contents = "\n".join(entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<package version="2.0" xmlns="http://pear.php.net/dtd/package-2.0" xmlns:tasks="http://pear.php.net/dtd/tasks-1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://pear.php.net/dtd/tasks-1.0 http://pear.php.net/dtd/tasks-1.0.xsd http://pear.php.net/dtd/package-2.0 http://pear.php.net/dtd/package-2.0.xsd">
 <name>fpm_compat</name>
 <channel>pecl.php.net</channel>
 <summary>PHP-FPM's fastcgi_finish_request(), fpm_get_status() and getallheaders() on every SAPI</summary>
 <description>{escape("fpm_compat brings fastcgi_finish_request(), fpm_get_status() and getallheaders() to every SAPI that lacks them (the CLI, php -S, php-cgi, Apache mod_php, embed, phpdbg), with php-fpm's semantics. It is written in Rust: building it needs cargo (Rust 1.85+) and libclang; the crates it needs are in vendor/, so the build needs no network.")}</description>
 <lead>
  <name>fpm_compat contributors</name>
  <user>fpm_compat</user>
  <email>fpm-compat@users.noreply.github.com</email>
  <active>yes</active>
 </lead>
 <date>{date:%Y-%m-%d}</date>
 <time>{date:%H:%M:%S}</time>
 <version>
  <release>{version}</release>
  <api>{version}</api>
 </version>
 <stability>
  <release>beta</release>
  <api>beta</api>
 </stability>
 <license uri="https://opensource.org/licenses/MIT">MIT</license>
 <notes>See CHANGELOG.md.</notes>
 <contents>
  <dir name="/">
{contents}
  </dir>
 </contents>
 <dependencies>
  <required>
   <php>
    <min>8.2.0</min>
   </php>
   <pearinstaller>
    <min>1.10.0</min>
   </pearinstaller>
  </required>
 </dependencies>
 <providesextension>fpm_compat</providesextension>
 <extsrcrelease/>
</package>
"""


if __name__ == "__main__":
    sys.stdout.write(package_xml(*sys.argv[1:4]))
