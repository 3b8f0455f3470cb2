"""The demo and the monitoring team's day runner (``make demo``, ``python -m demo``): sample
inputs in the checkout's ``templates/``, the real command-line tools run on them. Not part of
the installed package; ``bench/`` times the same day with :mod:`demo.session`."""
