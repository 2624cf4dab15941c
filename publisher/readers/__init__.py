"""Reading: article bytes → front matter, the Markdown body and its citations → the model."""
