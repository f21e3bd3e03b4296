# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The C extension kmsgq._kmsgq, linked against libkmsgq.

libkmsgq is found through pkg-config (an installed libkmsgq-dev or `make
install`); without it, or with KMSGQ_SOURCE_TREE=1, in a kmsgq source tree,
against the tree's userlib (build it first: make -C ../../userlib), with
that directory as the extension's run path, unless KMSGQ_NO_RPATH=1 (a
package build: the library is installed where the loader looks anyway).
"""
import os
import shlex
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))
tree = os.path.normpath(os.path.join(here, "..", ".."))


def pkg_config():
    try:
        out = subprocess.run(["pkg-config", "--cflags", "--libs", "kmsgq"],
                             check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    flags = shlex.split(out.stdout)
    return {
        "include_dirs": [f[2:] for f in flags if f.startswith("-I")],
        "library_dirs": [f[2:] for f in flags if f.startswith("-L")],
        "libraries": [f[2:] for f in flags if f.startswith("-l")],
    }


def source_tree():
    userlib = os.path.join(tree, "userlib")
    return {
        "include_dirs": [os.path.join(userlib, "include"),
                         os.path.join(tree, "uapi")],
        "library_dirs": [userlib],
        "runtime_library_dirs":
            [] if os.environ.get("KMSGQ_NO_RPATH") == "1" else [userlib],
        "libraries": ["kmsgq"],
    }


use_tree = os.environ.get("KMSGQ_SOURCE_TREE") == "1"
lib = (not use_tree and pkg_config()) or source_tree()

setup(ext_modules=[Extension(
    "kmsgq._kmsgq", ["src/kmsgq_ext.c", "src/ring_ext.c",
                      "src/fanout_ext.c"],
    depends=["src/kmsgq_ext.h"],
    extra_compile_args=["-Wall", "-Wextra"], **lib)])
