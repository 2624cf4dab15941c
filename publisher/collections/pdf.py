"""The collection's PDF: ``<out>/collections/<name>/<name>.pdf``, one WeasyPrint document.

In: an ``Assembly``, the theme, the build time, the paper and PDF standard. Out: the PDF path.
Each article's body is rendered for print by ``render.body.render`` as in its own PDF, for a
print target that names its images from the ``source/`` folder (where the whole collection's
files are), prefixes its ids with its slug (``Target.id_prefix``) so that two articles'
``ref-smith2016``, ``fn1`` or ``classification`` stay apart, and points links between articles
into the book (``Target.relink``). The
print template (``collection/print.html.j2``, with ``collection/print.css`` over the theme's
``print.css``) gives the title page, the contents with page numbers and leaders, each article
from a right-hand page, and the nested outline; the article's renderer (``writers.pdf_worker``)
renders it tagged (PDF/UA-1 by default), fenced in time and memory.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.collections.assemble import print_links, scoped_id, start_id

if TYPE_CHECKING:
    from publisher.collections.assemble import Article, Assembly


def _article(article: Article, theme: Path, slugs: set[str]) -> dict[str, Any]:
    from markupsafe import Markup

    from publisher.render.body import render
    from publisher.render.targets import Target
    from publisher.render.templating import render_template

    p, slug = article.prepared, article.slug
    images = {i.src: posixpath.join(slug, i.src) for i in p.body.images}
    target = Target(name="print", image_src=images, id_prefix=scoped_id(slug, ""),
                    relink=print_links(slug, slugs))
    body = render(p.doc, p.page.formatted, target)
    attribution = render_template(theme, "_attribution.html.j2", page=p.page, meta=p.page.meta,
                                  id_prefix=scoped_id(slug, ""))
    toc = [{"id": scoped_id(slug, e.id), "title": e.title} for e in p.page.toc]
    return {"id": start_id(slug), "title": p.page.meta.title, "meta": p.page.meta, "toc": toc,
            "body": Markup(body.html), "attribution": Markup(attribution)}


def print_html(assembly: Assembly, theme: Path) -> str:
    from markupsafe import Markup

    from publisher.collections.front import front as make_front
    from publisher.render.targets import PRINT
    from publisher.render.templating import render_template

    front = make_front(assembly, PRINT)
    slugs = {a.slug for a in front.articles}
    parts = [{"title": title, "id": f"part-{k}",
              "articles": [_article(a, theme, slugs) for a in articles]}
             for k, (title, articles) in enumerate(front.parts, 1)]
    css = (theme / "collection" / "print.css").read_text(encoding="utf-8")
    rights = (f"The selection and introduction: {front.license_name}. Each article under its "
              "own licence: " + " ".join(a.prepared.page.attribution.rights
                                         for a in front.articles))
    return render_template(theme, "collection/print.html.j2", front=front, meta=front.meta,
                           parts=parts, has_parts=any(p["title"] for p in parts),
                           introduction=Markup(front.introduction), rights=rights,
                           css=Markup(css.replace("</", "<\\/")))


def write(assembly: Assembly, theme: Path, out_dir: Path, epoch: int, *,
          paper: str | None = None, variant: str | None = None) -> Path:
    from publisher.build.options import PAPERS, VARIANTS
    from publisher.collections.front import metadata
    from publisher.writers import pdf_worker
    from publisher.writers.output import write_atomic
    from publisher.writers.pdf import document_info

    c = assembly.collection
    html = print_html(assembly, theme)
    size = PAPERS.get((paper or "a4").lower(), "A4")
    job = pdf_worker.start(html, size, document_info(metadata(c)), theme, c.root / "source",
                           variant=variant or VARIANTS[0], epoch=epoch, lang=c.lang)
    return write_atomic(out_dir / f"{c.name}.pdf", job.result())
