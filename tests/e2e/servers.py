"""Real PHP servers for end-to-end tests, each from a private config.

Every server listens on 127.0.0.1 on a free high port, keeps its configs,
logs and pid files in its own temporary directory, loads the extension
through an extra INI scan directory (Debian's php.ini and conf.d for that
SAPI stay in force, as a user's would), and is stopped by PID.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SO = Path(os.environ.get("FPM_COMPAT_SO", ROOT / "target/release/libfpm_compat.so"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The PHP version under test: its Debian binaries carry the version in their
# names, so several versions can be installed side by side (scripts/test-php
# runs 8.5 and 8.6 in one chroot) and the unversioned names pick only one.
PHP_VERSION = os.environ.get("FPM_COMPAT_PHP_VERSION", "8.2")
PHP_VERSION_INFO = tuple(int(n) for n in PHP_VERSION.split("."))  # (8, 5): compares as versions do
PHP = f"/usr/bin/php{PHP_VERSION}"
PHP_CGI = f"/usr/bin/php-cgi{PHP_VERSION}"
PHP_FPM = f"/usr/sbin/php-fpm{PHP_VERSION}"
PHP_CONFIG = f"/usr/bin/php-config{PHP_VERSION}"
PHP_ETC = Path(f"/etc/php/{PHP_VERSION}")
APACHE_MODULES = Path("/usr/lib/apache2/modules")
MOD_PHP = APACHE_MODULES / f"libphp{PHP_VERSION}.so"
LIBPHP = Path(f"/usr/lib/libphp{PHP_VERSION}.so")  # the embed SAPI
PHPDBG = f"/usr/bin/phpdbg{PHP_VERSION}"
# A PHP built under a private prefix (scripts/build-php: ZTS, debug ZTS)
# instead of Debian's packages: unversioned names, mod_php in apache2/, one
# php.ini for every SAPI (PREFIX/etc/php.ini, Debian's production settings)
# and no conf.d of its own.
PHP_PREFIX = os.environ.get("FPM_COMPAT_PHP_PREFIX")
if PHP_PREFIX:
    PHP = f"{PHP_PREFIX}/bin/php"
    PHP_CGI = f"{PHP_PREFIX}/bin/php-cgi"
    PHP_FPM = f"{PHP_PREFIX}/sbin/php-fpm"
    PHP_CONFIG = f"{PHP_PREFIX}/bin/php-config"
    PHP_ETC = Path(PHP_PREFIX) / "etc"
    MOD_PHP = Path(PHP_PREFIX) / "apache2/libphp.so"
    LIBPHP = Path(PHP_PREFIX) / "lib/libphp.so"
    PHPDBG = f"{PHP_PREFIX}/bin/phpdbg"
# Whether that PHP is thread-safe: Apache's threaded MPMs need a ZTS mod_php.
PHP_ZTS = subprocess.run([PHP, "-n", "-r", "echo PHP_ZTS;"], capture_output=True, text=True).stdout == "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop_pid(pid, timeout=5.0):
    """SIGTERM, then SIGKILL, the process group led by pid (never by name)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done == pid:
                return
            time.sleep(0.05)


class Workdir:
    """A world-writable temporary directory: web server workers run as
    www-data and write records there."""

    def __init__(self, name):
        self.path = Path(tempfile.mkdtemp(prefix=f"fpm_compat-{name}-"))
        self.path.chmod(0o777)
        self.records = self.path / "records"
        self.records.mkdir()
        self.records.chmod(0o777)
        self.php_log = self.path / "php_errors.log"
        self.php_log.touch()
        self.php_log.chmod(0o666)
        # Copies, so www-data can read them wherever the checkout lives.
        self.so = self.path / "fpm_compat.so"
        shutil.copyfile(SO, self.so)
        self.so.chmod(0o644)
        self.docroot = self.path / "docroot"

    def scan_dir(self, sapi, ini=None, extension=True):
        """PHP_INI_SCAN_DIR value: the SAPI's Debian conf.d, then ours."""
        conf = self.path / "conf.d"
        conf.mkdir(exist_ok=True)
        lines = [f"error_log={self.php_log}", "log_errors=On"]
        if extension:
            lines.insert(0, f"extension={self.so}")
        for key, value in (ini or {}).items():
            lines.append(f"{key}={value}")
        (conf / "99-fpm_compat-test.ini").write_text("\n".join(lines) + "\n")
        return f"{PHP_ETC / sapi / 'conf.d'}:{conf}"

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Server:
    """Base: start() launches processes in their own sessions; stop() stops
    them by PID, last started first."""

    name = "server"
    sapi = None

    def __init__(self, ini=None, extension=True, docroot=FIXTURES, workers=4, wrapper=(), max_requests=1_000_000):
        self.ini = dict(ini or {})
        # A command the process that runs PHP starts under (valgrind).
        self.wrapper = list(wrapper)
        self.start_timeout = 120 if wrapper else 10
        # PHP processes (php -S workers, FastCGI children, Apache children).
        self.workers = workers
        # php-cgi replaces a child after this many requests (high: a long run
        # measures the same processes throughout).
        self.max_requests = max_requests
        self.extension = extension
        self.work = Workdir(self.name)
        shutil.copytree(docroot, self.work.docroot)
        self.docroot = self.work.docroot
        self.records = self.work.records
        self.port = free_port()
        self.procs = []
        self.extra_stops = []

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, path):
        return f"{self.base_url}/{path.lstrip('/')}"

    def spawn(self, argv, env=None, **kw):
        full_env = dict(os.environ)
        full_env.update(env or {})
        out = open(self.work.path / f"{Path(argv[0]).name}.out", "ab")
        proc = subprocess.Popen(argv, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def start(self):
        raise NotImplementedError

    def stop(self):
        for stop in reversed(self.extra_stops):
            stop()
        for proc in reversed(self.procs):
            stop_pid(proc.pid)
        self.procs.clear()

    def logs(self):
        """Everything the server and PHP wrote to their logs."""
        text = []
        for f in sorted(self.work.path.glob("*.log")) + sorted(self.work.path.glob("*.out")):
            text.append(f.read_text(errors="replace"))
        return "\n".join(text)

    def __enter__(self):
        try:
            self.start()
        except Exception:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        keep = os.environ.get("FPM_COMPAT_SERVER_LOGS")
        if keep:  # scripts/test-php reads a debug build's leak reports there
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"{self.name}-{self.port}.log").write_text(self.logs())
        self.work.cleanup()


class BuiltinServer(Server):
    """php -S, optionally with PHP_CLI_SERVER_WORKERS."""

    name = "cli-server"

    def __init__(self, workers=1, **kw):
        super().__init__(workers=workers, **kw)

    def start(self):
        env = {"PHP_INI_SCAN_DIR": self.work.scan_dir("cli", self.ini, self.extension)}
        if self.workers > 1:
            env["PHP_CLI_SERVER_WORKERS"] = str(self.workers)
        proc = self.spawn(self.wrapper + [PHP, "-S", f"127.0.0.1:{self.port}", "-t", str(self.docroot)], env=env)
        wait_for_port(self.port, proc, self.start_timeout)


class FastCgiBackend:
    """A FastCGI backend on its own port, run as part of `server`."""

    def __init__(self, server):
        self.server = server
        self.port = free_port()
        self.children = server.workers

    def scan_dir(self, sapi):
        return self.server.work.scan_dir(sapi, self.server.ini, self.server.extension)

    def nginx_pass(self):
        """The lines of nginx's PHP location that hand requests to it."""
        return (f"include /etc/nginx/fastcgi_params;\n"
                f"            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
                f"            fastcgi_pass 127.0.0.1:{self.port};")


class PhpCgiFastCgi(FastCgiBackend):
    """php-cgi -b."""

    def start(self):
        env = {
            "PHP_INI_SCAN_DIR": self.scan_dir("cgi"),
            "PHP_FCGI_CHILDREN": str(self.children),
            "PHP_FCGI_MAX_REQUESTS": str(self.server.max_requests),
        }
        proc = self.server.spawn(self.server.wrapper + [PHP_CGI, "-b", f"127.0.0.1:{self.port}"], env=env)
        wait_for_port(self.port, proc, self.server.start_timeout)


class PhpFpm(FastCgiBackend):
    """php-fpm with one static pool: the reference."""

    def start(self):
        w = self.server.work.path
        conf = w / "php-fpm.conf"
        conf.write_text(f"""
[global]
pid = {w}/php-fpm.pid
error_log = {w}/php-fpm.log
daemonize = no

[www]
listen = 127.0.0.1:{self.port}
pm = static
pm.max_children = {self.children}
catch_workers_output = yes
decorate_workers_output = no
php_admin_value[error_log] = {self.server.work.php_log}
{getattr(self.server, "fpm_pool_conf", "")}
""")
        env = {"PHP_INI_SCAN_DIR": self.scan_dir("fpm")}
        proc = self.server.spawn([PHP_FPM, "-F", "-R", "-y", str(conf)], env=env)
        wait_for_port(self.port, proc)


class Nginx(Server):
    """nginx in front of a FastCGI backend (php-cgi -b or php-fpm), with
    nginx's default FastCGI buffering."""

    def __init__(self, backend="php-cgi", location_conf="", children=None, **kw):
        self.name = f"nginx-{backend}"
        if children is not None:  # the backend's processes: the server's workers
            kw["workers"] = children
        super().__init__(**kw)
        self.backend_kind = backend
        self.location_conf = location_conf

    def start(self):
        kind = {"php-fpm": PhpFpm, "uwsgi": UwsgiBackend}.get(self.backend_kind, PhpCgiFastCgi)
        backend = kind(self)
        backend.start()
        w = self.work.path
        conf = w / "nginx.conf"
        conf.write_text(f"""
daemon off;
master_process on;
worker_processes 1;
user root root;
pid {w}/nginx.pid;
error_log {w}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {w}/client_body;
    fastcgi_temp_path {w}/fastcgi_temp;
    proxy_temp_path {w}/proxy_temp;
    uwsgi_temp_path {w}/uwsgi_temp;
    scgi_temp_path {w}/scgi_temp;
    server {{
        listen 127.0.0.1:{self.port};
        root {self.docroot};
        location ~ \\.php$ {{
            {backend.nginx_pass()}
            {self.location_conf}
        }}
    }}
}}
""")
        proc = self.spawn(["nginx", "-p", str(w), "-c", str(conf)])
        wait_for_port(self.port, proc)


class Apache(Server):
    """Apache 2.4 prefork from a private config, in one of five modes:
    mod_php, mod_proxy_fcgi -> php-cgi -b, mod_fcgid spawning php-cgi, or
    php-cgi as plain CGI (mod_cgi, mod_cgid)."""

    def __init__(self, mode="mod_php", extra_conf="", php_ini="debian", tls=False, modules=(), mpm="prefork",
                 fcgi_children=None, children=1, **kw):
        self.name = f"apache-{mode}"
        super().__init__(**kw)
        self.mode = mode
        # "prefork": `workers` processes of one thread; "event": one process
        # of `workers` threads (mod_php must be ZTS), as FrankenPHP-like
        # threaded setups and mod_http2 run; `children` such processes.
        self.mpm = mpm
        self.children = children
        self.extra_conf = extra_conf
        # "debian": Debian's php.ini for the SAPI (production settings) and
        # its conf.d; "none": no php.ini at all, PHP's built-in defaults
        # (output_buffering=0, display_errors=1), as in container images.
        self.php_ini = php_ini
        self.tls = tls
        self.modules = list(modules)
        self.access_log = self.work.path / "access.log"
        # mod_fcgid: PHP_FCGI_CHILDREN of each php-cgi it spawns (None: unset,
        # mod_fcgid's advice: one request per process, it spawns more).
        self.fcgi_children = fcgi_children

    @property
    def base_url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self):
        w = self.work.path
        mods = [f"mpm_{self.mpm}", "authz_core", "mime", "dir", "env", "setenvif", "headers",
                "filter", "deflate", "alias"] + self.modules
        env = {}
        handler = ""
        if self.tls:
            mods += ["socache_shmcb", "ssl"]
            self.extra_conf += f"\n{self._tls_conf(w)}"
        if self.mode == "mod_php":
            mods.append("php")
            scan = self.work.scan_dir("apache2", self.ini, self.extension)
            if self.php_ini == "none":
                (w / "no-php-ini").mkdir(exist_ok=True)
                handler = f"PHPIniDir {w}/no-php-ini\n"
                scan = scan.split(":")[-1]
            env["PHP_INI_SCAN_DIR"] = scan
            handler += '<FilesMatch "\\.php$">\n    SetHandler application/x-httpd-php\n</FilesMatch>'
        elif self.mode == "proxy_fcgi":
            mods += ["proxy", "proxy_fcgi"]
            backend = PhpCgiFastCgi(self)
            backend.start()
            handler = (f'<FilesMatch "\\.php$">\n    SetHandler "proxy:fcgi://127.0.0.1:{backend.port}"\n'
                       f"</FilesMatch>\nProxyFCGIBackendType GENERIC")
        elif self.mode == "fcgid":
            # mod_fcgid spawns php-cgi itself (its listen socket on fd 0) and
            # sends one request at a time to each process it spawned.
            mods.append("fcgid")
            wrapper = w / "php-cgi-fcgid"
            scan = self.work.scan_dir("cgi", self.ini, self.extension)
            children = "" if self.fcgi_children is None else f"PHP_FCGI_CHILDREN={self.fcgi_children} "
            # As mod_fcgid's documentation sets PHP up: mod_fcgid retires a
            # process (FcgidMaxRequestsPerProcess) no later than php-cgi
            # would exit on its own (PHP_FCGI_MAX_REQUESTS, 500 by default)
            # while mod_fcgid still sends it requests.
            wrapper.write_text(f"#!/bin/sh\nPHP_INI_SCAN_DIR='{scan}' TMPDIR='{w}' "
                               f"PHP_FCGI_MAX_REQUESTS={self.max_requests} {children}exec {PHP_CGI}\n")
            wrapper.chmod(0o755)
            (w / "fcgid").mkdir(exist_ok=True)
            shutil.chown(w / "fcgid", "www-data", "www-data")
            handler = (f"FcgidIPCDir {w}/fcgid\nFcgidProcessTableFile {w}/fcgid/shm\n"
                       f"FcgidMaxProcessesPerClass {self.workers}\nFcgidMinProcessesPerClass 0\n"
                       f"FcgidIOTimeout 60\nFcgidMaxRequestLen 16777216\nFcgidMaxRequestsPerProcess {self.max_requests}\n"
                       f"<Directory {self.docroot}>\n    Options +ExecCGI\n    AddHandler fcgid-script .php\n"
                       f"    FcgidWrapper {wrapper} .php\n</Directory>")
        elif self.mode in ("cgi", "cgid"):
            # mod_cgid: the CGI runs from a daemon Apache forks, with the
            # client's request on a socket as its stdin and stdout (Debian's
            # choice under the threaded MPMs).
            mods += [self.mode, "actions"]
            if self.mode == "cgid":
                self.extra_conf += f"\nScriptSock {w}/cgid.sock"
            wrapper = w / "php-cgi-wrapper"
            scan = self.work.scan_dir("cgi", self.ini, self.extension)
            # TMPDIR: detached children are counted per user there, and
            # other servers of www-data on this machine must not count.
            wrapper.write_text(f"#!/bin/sh\nPHP_INI_SCAN_DIR='{scan}' TMPDIR='{w}' exec {PHP_CGI}\n")
            wrapper.chmod(0o755)
            handler = (f'ScriptAlias /php-cgi-bin/ {w}/\n'
                       f'<Directory {w}>\n    Options +ExecCGI\n    Require all granted\n</Directory>\n'
                       f'Action application/x-httpd-php /php-cgi-bin/php-cgi-wrapper\n'
                       f'AddHandler application/x-httpd-php .php')
        else:
            raise ValueError(self.mode)
        loads = "\n".join(
            f"LoadModule {m}_module {MOD_PHP if m == 'php' else APACHE_MODULES / f'mod_{m}.so'}"
            for m in mods)
        conf = w / "httpd.conf"
        conf.write_text(f"""
ServerRoot {w}
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile {w}/httpd.pid
ErrorLog {w}/apache-error.log
LogLevel warn
LogFormat "%r|%>s|%B" fpm_compat
CustomLog {self.access_log} fpm_compat
User www-data
Group www-data
{loads}
TypesConfig /etc/mime.types
{self._mpm_conf()}
KeepAlive On
DocumentRoot {self.docroot}
<Directory {self.docroot}>
    Require all granted
    AllowOverride None
</Directory>
DirectoryIndex index.php index.html
{handler}
{self.extra_conf}
""")
        # Under a wrapper, one process (-X): valgrind follows one mod_php.
        one_process = ["-X"] if self.wrapper else []
        proc = self.spawn(self.wrapper + ["/usr/sbin/apache2", "-f", str(conf), "-DFOREGROUND"] + one_process,
                          env={**env, "APACHE_RUN_DIR": str(w), "APACHE_LOCK_DIR": str(w),
                               "APACHE_LOG_DIR": str(w)})
        wait_for_port(self.port, proc, self.start_timeout)


    def _mpm_conf(self):
        if self.mpm == "prefork":
            return (f"StartServers {self.workers}\nMinSpareServers {self.workers}\n"
                    f"MaxSpareServers {self.workers}\nMaxRequestWorkers {max(self.workers, 8)}")
        # Exactly `children` processes: never more (ServerLimit), and a dead
        # one is replaced (fewer idle threads than MinSpareThreads).
        n, threads = self.children, self.workers
        return (f"StartServers {n}\nServerLimit {n}\nThreadLimit {threads}\nThreadsPerChild {threads}\n"
                f"MinSpareThreads {threads * (n - 1) + 1}\nMaxSpareThreads {threads * n}\n"
                f"MaxRequestWorkers {threads * n}")

    def _tls_conf(self, w):
        key, cert = w / "tls.key", w / "tls.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        return (f"SSLEngine on\nSSLCertificateFile {cert}\nSSLCertificateKeyFile {key}\n"
                f"SSLSessionCache shmcb:{w}/ssl_scache(512000)\nMutex file:{w} default")

    def access_lines(self):
        """The access log: (request line, status, body bytes) per request."""
        if not self.access_log.exists():
            return []
        return [tuple(line.rsplit("|", 2)) for line in self.access_log.read_text().splitlines()]


class Lighttpd(Server):
    """lighttpd spawning php-cgi itself (mod_fastcgi `bin-path`), one
    php-cgi master with `workers` children on a Unix socket."""

    name = "lighttpd-php-cgi"

    def start(self):
        w = self.work.path
        scan = self.work.scan_dir("cgi", self.ini, self.extension)
        conf = w / "lighttpd.conf"
        conf.write_text(f"""
server.modules = ("mod_fastcgi")
server.document-root = "{self.docroot}"
server.bind = "127.0.0.1"
server.port = {self.port}
server.pid-file = "{w}/lighttpd.pid"
server.errorlog = "{w}/lighttpd-error.log"
server.username = "www-data"
server.groupname = "www-data"
server.max-keep-alive-requests = 1000
index-file.names = ("index.php")
fastcgi.server = (".php" => ((
    "bin-path" => "{PHP_CGI}",
    "socket" => "{w}/php-cgi.socket",
    "max-procs" => 1,
    "bin-environment" => (
        "PHP_FCGI_CHILDREN" => "{self.workers}",
        "PHP_FCGI_MAX_REQUESTS" => "{self.max_requests}",
        "PHP_INI_SCAN_DIR" => "{scan}",
        "TMPDIR" => "{w}",
    ),
    "broken-scriptfilename" => "enable",
)))
""")
        proc = self.spawn(["/usr/sbin/lighttpd", "-D", "-f", str(conf)])
        wait_for_port(self.port, proc)


UWSGI = "/usr/bin/uwsgi-core"
UWSGI_PHP_PLUGIN = Path("/usr/lib/uwsgi/plugins/php_plugin.so")


def uwsgi_php_version():
    """The PHP version uWSGI's PHP plugin runs (the libphp it links), or None."""
    if not (Path(UWSGI).exists() and UWSGI_PHP_PLUGIN.exists()):
        return None
    ldd = subprocess.run(["ldd", str(UWSGI_PHP_PLUGIN)], capture_output=True, text=True).stdout
    linked = re.search(r"libphp\S*\.so\S*\s*=>\s*(\S+)", ldd)
    version = linked and re.search(r"libphp(\d+\.\d+)\.so", os.path.realpath(linked.group(1)))
    return version.group(1) if version else None


def wait_for_uwsgi_workers(server, proc):
    """Until the master has spawned every worker (it listens before)."""
    log = server.work.path / f"{Path(UWSGI).name}.out"
    deadline = time.monotonic() + server.start_timeout
    while f"spawned uWSGI worker {server.workers} ".encode() not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"uWSGI did not spawn {server.workers} workers:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def uwsgi_argv(server, plugins, sockets):
    """uWSGI with its PHP plugin, as Debian installs it: its PHP reads the
    embed SAPI's php.ini and conf.d (plus ours, PHP_INI_SCAN_DIR)."""
    found = uwsgi_php_version()
    why = None
    if PHP_PREFIX:
        why = f"uWSGI's PHP plugin links Debian's libphp{found or ''}, not the PHP built under {PHP_PREFIX}"
    elif found != PHP_VERSION:
        why = f"uWSGI's PHP plugin here runs PHP {found or 'nothing'} (uwsgi-plugin-php), not {PHP_VERSION}"
    if why:
        import pytest
        server.work.cleanup()
        pytest.skip(why)
    return server.wrapper + [
        UWSGI, "--plugins", plugins, *sockets, "--php-docroot", str(server.docroot),
        "--master", "--processes", str(server.workers), "--die-on-term", "--uid", "www-data", "--gid", "www-data",
        "--max-requests", str(server.max_requests)]


class UwsgiBackend(FastCgiBackend):
    """uWSGI speaking its own protocol to nginx (uwsgi_pass), the PHP plugin
    on its modifier 14."""

    def start(self):
        argv = uwsgi_argv(self.server, "php", ["--socket", f"127.0.0.1:{self.port}"])
        proc = self.server.spawn(argv, env={"PHP_INI_SCAN_DIR": self.scan_dir("embed")})
        wait_for_port(self.port, proc, self.server.start_timeout)
        wait_for_uwsgi_workers(self.server, proc)

    def nginx_pass(self):
        return (f"include /etc/nginx/uwsgi_params;\n"
                f"            uwsgi_modifier1 14;\n"
                f"            uwsgi_pass 127.0.0.1:{self.port};")


class Uwsgi(Server):
    """uWSGI speaking HTTP itself: `--http-socket`, `--http11-socket`
    (keep-alive), or its `--http` router in front of the workers."""

    def __init__(self, front="http-socket", args=(), **kw):
        self.name = f"uwsgi-{front}"
        super().__init__(**kw)
        self.front = front
        self.args = list(args)

    def start(self):
        address = f"127.0.0.1:{self.port}"
        plugins, sockets = {
            "http-socket": ("0:php", ["--http-socket", address]),
            "http11-socket": ("0:php", ["--http11-socket", address]),
            "http": ("http,0:php", ["--http", address]),
        }[self.front]
        argv = uwsgi_argv(self, plugins, sockets) + self.args
        proc = self.spawn(argv, env={"PHP_INI_SCAN_DIR": self.work.scan_dir("embed", self.ini, self.extension)})
        wait_for_port(self.port, proc, self.start_timeout)
        wait_for_uwsgi_workers(self, proc)


# Every server setup the tests use, by the label tests and reports show.
SERVERS = {
    "php -S": lambda **kw: BuiltinServer(**kw),
    "php -S, 2 workers": lambda **kw: BuiltinServer(workers=2, **kw),
    "apache mod_php": lambda **kw: Apache("mod_php", **kw),
    "nginx + php-cgi -b": lambda **kw: Nginx("php-cgi", **kw),
    "apache proxy_fcgi + php-cgi -b": lambda **kw: Apache("proxy_fcgi", **kw),
    "apache + php-cgi (CGI)": lambda **kw: Apache("cgi", **kw),
    "apache mod_fcgid + php-cgi": lambda **kw: Apache("fcgid", **kw),
    "lighttpd + php-cgi": lambda **kw: Lighttpd(**kw),
    "uwsgi --http-socket": lambda **kw: Uwsgi("http-socket", **kw),
    "nginx + php-fpm": lambda **kw: Nginx("php-fpm", **kw),
}

# The servers where fpm_compat does the finishing (php-fpm is the reference).
OURS = [label for label in SERVERS if label != "nginx + php-fpm"]
