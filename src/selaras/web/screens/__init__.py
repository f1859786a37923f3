"""What the pages and the API show, as plain data: one module per screen.

- ``konteks``: what every request needs (store, job engine, year, deadline, time zone).
- ``pihak``: the people behind each actor of an error, by name.
- ``cards``: an error as a card; a logged result; a job.
- ``pegawai``: the SKP page of one pegawai.
- ``recap``: the recap of an instansi.
- ``worklist``: what a person must fix, grouped by root cause, theirs-to-fix-now first.
- ``school``: the sync state of each pegawai of a school.
- ``notices``: a user's notices.
- ``lists``: units, periods and instansi for the admin pages.

Routes only parse the request, call one of these and render the result (HTML or JSON). The SQL
lives in ``selaras.store.reads``; the words in ``selaras.catalogue.words``.
"""

from selaras.web.screens.cards import cards, job_view, result_view, side_by_side
from selaras.web.screens.konteks import Konteks
from selaras.web.screens.lists import instansi_list, periode_list, periode_rows, unor_list
from selaras.web.screens.notices import notices, penerima_of
from selaras.web.screens.pegawai import pegawai_view
from selaras.web.screens.recap import recap_view
from selaras.web.screens.school import school_view
from selaras.web.screens.worklist import waiting_on_me, worklist

__all__ = [
    "Konteks",
    "cards",
    "instansi_list",
    "job_view",
    "notices",
    "pegawai_view",
    "penerima_of",
    "periode_list",
    "periode_rows",
    "recap_view",
    "result_view",
    "school_view",
    "side_by_side",
    "unor_list",
    "waiting_on_me",
    "worklist",
]
