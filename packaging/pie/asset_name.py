"""The names PIE looks for when it downloads a pre-packaged binary.

PIE (php/pie, src/Platform/PrePackagedBinaryAssetName.php, read at commit
827cefb) tries, for each spelling of the architecture, in this order:
php_{ext}-{version}_php{X.Y}-{arch}-{os}-{libc}{-debug}{-zts}.zip, the same
.tgz, then with -nts spelled out for a non-thread-safe PHP (.zip, .tgz);
lower-cased. The release names its zip with the thread safety spelled out
(the third form), which PIE accepts for NTS and is the only form for ZTS.

    python3 asset_name.py EXT VERSION X.Y ARCH OS LIBC DEBUG ZTS
prints the release's name (DEBUG, ZTS: 0 or 1).
"""

import sys

# PIE's Architecture::allNames(): every spelling of one architecture, in
# PIE's order (its tests: x86_64 then x64; arm64 then aarch64).
ARCH_NAMES = {"x86_64": ["x86_64", "x64"], "arm64": ["arm64", "aarch64"], "x86": ["x86"]}
# PIE's Architecture::parseArchitecture() of php_uname('m').
ARCH_OF_UNAME = {"x64": "x86_64", "x86_64": "x86_64", "AMD64": "x86_64", "amd64": "x86_64",
                 "arm64": "arm64", "aarch64": "arm64"}


def pie_candidates(ext, version, php_xy, arch, os_family, libc, debug, zts):
    """Every name PIE tries, in its order."""
    debug_part = "-debug" if debug else ""
    names = []
    for spelling in ARCH_NAMES[ARCH_OF_UNAME.get(arch, "x86")]:
        stem = f"php_{ext}-{version}_php{php_xy}-{spelling}-{os_family}-{libc}{debug_part}"
        for ts in ("-zts" if zts else "", "-zts" if zts else "-nts"):
            for suffix in (".zip", ".tgz"):
                name = (stem + ts + suffix).lower()
                if name not in names:
                    names.append(name)
    return names


def release_name(ext, version, php_xy, arch, os_family, libc, debug, zts):
    """The name the release gives its zip: thread safety spelled out."""
    arch = ARCH_OF_UNAME.get(arch, arch)
    return (f"php_{ext}-{version}_php{php_xy}-{arch}-{os_family}-{libc}"
            f"{'-debug' if debug else ''}{'-zts' if zts else '-nts'}.zip").lower()


if __name__ == "__main__":
    ext, version, php_xy, arch, os_family, libc, debug, zts = sys.argv[1:9]
    print(release_name(ext, version, php_xy, arch, os_family, libc, debug == "1", zts == "1"))
