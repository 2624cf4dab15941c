"""Live preview (``publish serve``): build the web pages, serve them, rebuild each on a save.

``guard`` maps a request path to a file inside the output folder (or nothing); ``inject`` adds
the reload script to a served page; ``events`` carries what a rebuild found to the open tabs;
``site`` rebuilds; ``watch`` turns saves into rebuilds; ``server`` answers HTTP; ``preview``
puts them together.
"""
