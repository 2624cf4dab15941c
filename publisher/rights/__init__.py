"""Rights: licences, their compatibility, and the attribution every output carries."""
