"""The ``selaras`` command: :func:`main` and its command groups, one module each.

Exit status (:mod:`selaras.cli.common`): 0 all well, 1 some pegawai failed their checks, 2 bad
input or usage, 3 the store or the machine failed (disk full, database unreachable or busy):
nothing of the failed transaction was kept.
"""

from __future__ import annotations

import click

from selaras import __version__
from selaras.cli.akun import akun
from selaras.cli.common import MainGroup
from selaras.cli.data import export, generate, import_
from selaras.cli.demo import demo
from selaras.cli.eskalasi import eskalasi, prakiraan
from selaras.cli.instansi import instansi
from selaras.cli.kerja import antrean, worker
from selaras.cli.periksa import check, kode, recap_, sync
from selaras.cli.serve import serve
from selaras.cli.simulate import simulate
from selaras.cli.sso import add_commands
from selaras.cli.tarik import tarik

__all__ = ["main"]


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="selaras")
def main() -> None:
    """Selaras: Sinkron PMM yang memberi tahu setiap orang apa yang salah, di mana, dan siapa yang memperbaiki."""


add_commands(akun)
for _command in (
    generate,
    import_,
    export,
    check,
    sync,
    recap_,
    kode,
    worker,
    antrean,
    demo,
    simulate,
    serve,
    akun,
    instansi,
    eskalasi,
    prakiraan,
    tarik,
):
    main.add_command(_command)
