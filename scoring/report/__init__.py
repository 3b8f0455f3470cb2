"""``scoring report``: every report of one test, from the store to PDF, HTML, CSV and XLSX.

``collect`` reads the store through the scoring library into one ``ReportData`` (data.py);
``charts``, ``pdf``, ``html`` and ``exports`` render it; ``render`` runs them in a process
pool; ``cli`` is the click command that scoring/cli.py adds to the ``scoring`` group.
"""
