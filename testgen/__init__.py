"""testgen: test spec -> shuffled variants, keys, booklets and answer sheets.

Public API (what tools and tests outside testgen may call): :func:`testgen.spec.load_spec`,
:func:`testgen.spec.parse_spec` and the spec models; :func:`testgen.build.build_test` (a whole
package) and :func:`testgen.build.manifest_for` (its manifest alone); the package contract in
:mod:`testgen.manifest`; :func:`testgen.sheet.render_sheets` (blank answer sheets). Everything
else (the planner, the layout, the PDF writers) is internal.
"""
