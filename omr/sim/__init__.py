"""The sheet simulator: fills a test package's answer sheets the way people do, degrades them
the way scanners and phones do, and writes the ground truth; and the accuracy tooling that
scores a reader against that truth.

It lives apart from the reader (the rest of :mod:`omr`), which never imports it
(``tests/test_architecture.py`` checks): a simulator written by the reader's own hands is a
test instrument, not part of the product's reading.

The sheets are the real ones of a test package: ``sheet-vNN.pdf`` rasterised with pypdfium2
(drawn from the manifest's layout with :func:`testgen.sheet.render_sheets` when the package
holds only ``manifest.json``). Marks are drawn at the manifest's bubble coordinates on an ink
layer: pen, soft and light pencil (with graphite grain), partial fills, ticks, crosses,
erasures with residue, dots, stray marks outside the bubbles, several marks per question and
blanks. Each question's ground truth says what the person *meant* (``marked``, ``blank``,
``multiple``, ``ambiguous`` and the letters), whether a reader must read it exactly
(``must_read``) or may flag it, and which other unflagged answers are not errors
(``acceptable``; e.g. a tick may be read as blank, since the sheet says ticks do not count).

Personalised sheets (``kind="personal"``) are the listed teachers' own pages of the package's
``sheets-personal.pdf`` (pages and variant from ``personal-sheets.csv``): no ID grid, the
teacher ID in the QR code.

Every sheet draws from its own generator seeded with ``(seed, profile, index)``, so a sheet
is the same whatever the count, and the same seed gives byte-identical files.

Modules, one concern each: :mod:`~omr.sim.ink` (the shape of a mark), :mod:`~omr.sim.fill`
(what a person writes on a sheet), :mod:`~omr.sim.capture` (scanner and phone degradation),
:mod:`~omr.sim.sheets` (the package's blank sheets), :mod:`~omr.sim.truth` (ground truth),
:mod:`~omr.sim.run` (a whole simulation), :mod:`~omr.sim.accuracy` (reader vs truth).
"""
