"""Runtime resources shipped inside the package (read with :mod:`importlib.resources`, so an
installed wheel works outside the checkout): ``fonts/`` holds DejaVu Sans with its licence."""
