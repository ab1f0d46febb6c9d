"""PDF/A-2b for the archival PDF: the XMP metadata and sRGB output intent it carries, and the checks we can run.

`make_pdfa` turns a document built in memory into PDF/A-2b (metadata, output intent); the metadata is the
document's description (`schemas.pdfmeta.PdfDescription`: dc:title, dc:identifier, dc:date, dc:language, dc:creator,
dc:subject and dc:description, mirrored into Info), never a file name; `SAVE_OPTIONS` are the
`Pdf.save` settings that complete it (header 1.7; qpdf always writes a trailer /ID and never encrypts unless told).
`keep_only_drawing` strips a source PDF's page to what draws it before it is copied into an archive.
`check_pdfa` lists what breaks the PDF/A-2b rules an archive of ours could break; `scan_rules_notes` lists what
breaks the national rule for a digitised copy (Nghị định 30/2020, Phụ lục I).
veraPDF, the reference validator, is a Java program and no Java package is reachable from here, so it is not run;
when pikepdf's own allowlist validator (the `pikepdf[pdfa]` extra) is installed, its violations are added.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name
from pikepdf.models.metadata import DOCINFO_MAPPING, decode_pdf_date
from PIL import ImageCms

from schemas.pdfmeta import PdfDescription

PDFA_PART = "2"
PDFA_CONFORMANCE = "B"
PDF_VERSION = "1.7"  # PDF/A-2 is built on PDF 1.7 and wants a "%PDF-1.n" header, n at most 7
try:
    PRODUCER = f"sohoa {version('sohoa')} (pikepdf {pikepdf.__version__})"
except PackageNotFoundError:  # run from a source tree that was never installed
    PRODUCER = f"sohoa (pikepdf {pikepdf.__version__})"
SAVE_OPTIONS = {
    "force_version": PDF_VERSION,
    "compress_streams": True,
    "object_stream_mode": pikepdf.ObjectStreamMode.generate,
}
# The national rule for a digitised copy.
MIN_SCAN_DPI = 200
MIN_SCAN_PDF_VERSION = (1, 4)
# A page image drawn this much bigger or smaller in one direction than the other is stretched, not at 100%.
MAX_ANISOTROPY = 0.02
# A scan fills its page; an image covering less was placed on a bigger sheet or shrunk.
MIN_PAGE_COVER = 0.9

FORBIDDEN_ACTIONS = {
    "/Launch",
    "/Sound",
    "/Movie",
    "/ResetForm",
    "/ImportData",
    "/JavaScript",
    "/Hide",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
}
_XPACKET_HEADER = re.compile(rb"<\?xpacket\s+begin=[^>]*\?>")


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    """An sRGB ICC profile made by LittleCMS (version 4: allowed in PDF/A-2, not in PDF/A-1)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def add_output_intent(pdf: pikepdf.Pdf) -> None:
    """The sRGB output intent that gives DeviceRGB and DeviceGray images a defined colour."""
    profile = pikepdf.Stream(pdf, srgb_profile())
    profile.N = 3
    intent = Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier="sRGB IEC61966-2.1",
        Info="sRGB IEC61966-2.1",
        DestOutputProfile=pdf.make_indirect(profile),
    )
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(intent)])


def write_metadata(
    pdf: pikepdf.Pdf, description: PdfDescription | None = None, *, created: datetime | None = None
) -> None:
    """XMP with the PDF/A-2b identification and the document's description, mirrored into the Info dictionary
    so that the two agree (dc:title -> /Title, dc:creator -> /Author, dc:description -> /Subject). The
    description's fields are already free of citizen IDs (`schemas.pdfmeta`); an absent field is not written."""
    description = description or PdfDescription()
    stamp = (created or datetime.now(UTC)).replace(microsecond=0).isoformat()
    pdf.trailer.Info = pdf.make_indirect(Dictionary())  # start clean: only keys that XMP mirrors
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["pdfaid:part"] = PDFA_PART
        meta["pdfaid:conformance"] = PDFA_CONFORMANCE
        if description.title:
            meta["dc:title"] = description.title
        if description.identifier:
            meta["dc:identifier"] = description.identifier
        if description.issued:
            meta["dc:date"] = [description.issued.isoformat()]
        meta["dc:language"] = {description.language}
        if description.creator:
            meta["dc:creator"] = [description.creator]
        if description.subject:
            meta["dc:description"] = description.subject
        if description.keywords:
            meta["dc:subject"] = set(description.keywords)
        meta["dc:format"] = "application/pdf"
        meta["pdf:Producer"] = PRODUCER
        meta["xmp:CreatorTool"] = PRODUCER
        meta["xmp:CreateDate"] = stamp
        meta["xmp:ModifyDate"] = stamp
        meta["xmp:MetadataDate"] = stamp


def make_pdfa(pdf: pikepdf.Pdf, description: PdfDescription | None = None, *, created: datetime | None = None) -> None:
    add_output_intent(pdf)
    write_metadata(pdf, description, created=created)


# --- what a copied PDF page keeps -----------------------------------------------------------------------------

# A page of a source PDF is copied for its drawing only. What is reachable from it is kept only if it is part of
# what the page draws: the keys below (what PDF 1.7 defines to draw pages, images, forms, fonts, colour spaces,
# functions, shadings, patterns, graphics states, halftones, soft masks, groups and optional content, less what
# PDF/A forbids: /Interpolate, /Alternates, /OPI, /PS, /Ref; less what points outside the page: /Metadata,
# /StructParent, /PieceInfo), and nothing of a type that acts or carries data (actions, embedded files, file
# specifications, annotations). A key a reader does not know is where a payload hides, so it goes too.
PAGE_KEYS = frozenset(
    {
        "/Type",
        "/Parent",
        "/MediaBox",
        "/CropBox",
        "/BleedBox",
        "/TrimBox",
        "/ArtBox",
        "/Rotate",
        "/UserUnit",
        "/Resources",
        "/Contents",
    }
)
RESOURCE_CATEGORIES = frozenset(
    {
        "/Font",
        "/XObject",
        "/ExtGState",
        "/ColorSpace",
        "/Pattern",
        "/Shading",
        "/Properties",
        "/ProcSet",
    }
)
DRAWING_KEYS = frozenset(
    {
        # any object; streams (not /F, /FFilter, /FDecodeParms: data in an outside file) and their filters' parameters
        "/Type",
        "/Subtype",
        "/Name",
        "/Length",
        "/Filter",
        "/DecodeParms",
        "/DL",
        "/Predictor",
        "/Colors",
        "/Columns",
        "/EarlyChange",
        "/Rows",
        "/EndOfLine",
        "/EncodedByteAlign",
        "/EndOfBlock",
        "/BlackIs1",
        "/DamagedRowsBeforeError",
        "/ColorTransform",
        "/JBIG2Globals",
        # images and forms
        "/Width",
        "/Height",
        "/ColorSpace",
        "/BitsPerComponent",
        "/Intent",
        "/ImageMask",
        "/Mask",
        "/Decode",
        "/SMask",
        "/SMaskInData",
        "/Matte",
        "/FormType",
        "/BBox",
        "/Matrix",
        "/Resources",
        "/Group",
        # transparency groups and soft masks
        "/S",
        "/CS",
        "/I",
        "/K",
        "/G",
        "/BC",
        "/TR",
        # fonts, their descriptors, programs, encodings and CMaps
        "/BaseFont",
        "/FirstChar",
        "/LastChar",
        "/Widths",
        "/FontDescriptor",
        "/Encoding",
        "/ToUnicode",
        "/DescendantFonts",
        "/CharProcs",
        "/FontBBox",
        "/FontMatrix",
        "/CIDSystemInfo",
        "/Registry",
        "/Ordering",
        "/Supplement",
        "/DW",
        "/W",
        "/DW2",
        "/W2",
        "/CIDToGIDMap",
        "/BaseEncoding",
        "/Differences",
        "/CMapName",
        "/UseCMap",
        "/WMode",
        "/FontName",
        "/FontFamily",
        "/FontStretch",
        "/FontWeight",
        "/Flags",
        "/ItalicAngle",
        "/Ascent",
        "/Descent",
        "/Leading",
        "/CapHeight",
        "/XHeight",
        "/StemV",
        "/StemH",
        "/AvgWidth",
        "/MaxWidth",
        "/MissingWidth",
        "/FontFile",
        "/FontFile2",
        "/FontFile3",
        "/CharSet",
        "/Style",
        "/Panose",
        "/Lang",
        "/FD",
        "/CIDSet",
        "/Length1",
        "/Length2",
        "/Length3",
        # graphics states
        "/LW",
        "/LC",
        "/LJ",
        "/ML",
        "/D",
        "/RI",
        "/OP",
        "/op",
        "/OPM",
        "/Font",
        "/BG",
        "/BG2",
        "/UCR",
        "/UCR2",
        "/TR2",
        "/HT",
        "/FL",
        "/SM",
        "/SA",
        "/BM",
        "/CA",
        "/ca",
        "/AIS",
        "/TK",
        # halftones
        "/HalftoneType",
        "/HalftoneName",
        "/Frequency",
        "/Angle",
        "/SpotFunction",
        "/AccurateScreens",
        "/TransferFunction",
        "/Width2",
        "/Height2",
        "/Xsquare",
        "/Ysquare",
        "/Default",
        # colour spaces
        "/WhitePoint",
        "/BlackPoint",
        "/Gamma",
        "/Range",
        "/N",
        "/Alternate",
        "/Colorants",
        "/Process",
        "/Components",
        "/MixingHints",
        "/Solidities",
        "/PrintingOrder",
        "/DotGain",
        # functions, shadings, patterns
        "/FunctionType",
        "/Domain",
        "/Size",
        "/BitsPerSample",
        "/Order",
        "/Encode",
        "/C0",
        "/C1",
        "/Functions",
        "/Bounds",
        "/ShadingType",
        "/Background",
        "/AntiAlias",
        "/Coords",
        "/Function",
        "/Extend",
        "/BitsPerCoordinate",
        "/BitsPerFlag",
        "/VerticesPerRow",
        "/PatternType",
        "/PaintType",
        "/TilingType",
        "/XStep",
        "/YStep",
        "/Shading",
        "/ExtGState",
        # optional content
        "/OC",
        "/OCGs",
        "/P",
        "/VE",
    }
)
# Dictionaries whose keys are names the file chooses (glyph names, colorants, glyph classes).
_NAMED_ENTRIES = frozenset({"/CharProcs", "/Colorants", "/Solidities", "/DotGain", "/FD"})
DRAWING_TYPES = frozenset(
    {
        "/Font",
        "/FontDescriptor",
        "/XObject",
        "/ExtGState",
        "/Pattern",
        "/Halftone",
        "/Mask",
        "/Group",
        "/Encoding",
        "/CMap",
        "/OCG",
        "/OCMD",
    }
)
DRAWING_SUBTYPES = frozenset(
    {
        "/Image",
        "/Form",
        "/Type0",
        "/Type1",
        "/MMType1",
        "/Type3",
        "/TrueType",
        "/CIDFontType0",
        "/CIDFontType2",
        "/Type1C",
        "/CIDFontType0C",
        "/OpenType",
        "/NChannel",
        "/DeviceN",
    }
)
DRAWING_S_VALUES = frozenset({"/Transparency", "/Luminosity", "/Alpha"})  # a group's, a soft mask's; not an action's


def _not_drawing(value) -> bool:
    """An object that is no part of a drawing: an action, an embedded file, a file specification, an annotation,
    JavaScript, a PostScript XObject..."""
    if not isinstance(value, (Dictionary, pikepdf.Stream)):
        return False
    kind, subtype, s = value.get("/Type"), value.get("/Subtype"), value.get("/S")
    return (
        (isinstance(kind, Name) and str(kind) not in DRAWING_TYPES)
        or (isinstance(subtype, Name) and str(subtype) not in DRAWING_SUBTYPES)
        or (isinstance(s, Name) and str(s) not in DRAWING_S_VALUES)
        or "/JS" in value
    )


def _is_drawable_xobject(value) -> bool:
    return isinstance(value, pikepdf.Stream) and value.get("/Subtype") in (Name.Image, Name.Form)


def keep_only_drawing(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
    """Strip `page` of `pdf`, in place, to what draws it: see DRAWING_KEYS. An XObject that cannot be drawn (an
    embedded file posing as one) becomes an empty form, so the page's content still names only what exists."""
    nothing = None
    pending = [(page.obj, "page")]
    seen: set = set()
    while pending:  # a loop, not recursion: a hostile file can nest deeper than Python's stack
        obj, kind = pending.pop()
        if obj.is_indirect:
            if (obj.objgen, kind) in seen:
                continue
            seen.add((obj.objgen, kind))
        if isinstance(obj, pikepdf.Array):
            for index, child in enumerate(obj):
                if _not_drawing(child):
                    obj[index] = None
                elif isinstance(child, (Dictionary, pikepdf.Array, pikepdf.Stream)):
                    pending.append((child, "drawing"))
            continue
        allowed = {"page": PAGE_KEYS, "resources": RESOURCE_CATEGORIES, "drawing": DRAWING_KEYS}.get(kind)
        for key in list(obj.keys()):
            value = obj[key]
            if kind == "xobjects" and (_not_drawing(value) or not _is_drawable_xobject(value)):
                if nothing is None:
                    nothing = pdf.make_indirect(
                        pikepdf.Stream(pdf, b"", Type=Name.XObject, Subtype=Name.Form, BBox=pikepdf.Array([0, 0, 0, 0]))
                    )
                obj[key] = nothing
                continue
            if (allowed is not None and key not in allowed) or _not_drawing(value):
                del obj[key]
                continue
            if (kind == "page" and key == "/Parent") or not isinstance(
                value, (Dictionary, pikepdf.Array, pikepdf.Stream)
            ):
                continue  # a page's parent is not copied with it
            if key == "/Resources" and kind in ("page", "drawing"):  # not a font that calls itself so
                pending.append((value, "resources"))
            elif kind == "resources":
                pending.append((value, "xobjects" if key == "/XObject" else "named"))
            else:
                pending.append((value, "named" if key in _NAMED_ENTRIES else "drawing"))


# --- walking a document ---------------------------------------------------------------------------------------


def _direct_dictionaries(obj, where: str):
    """`obj` and the dictionaries written inside it (not those it refers to: they are objects of their own)."""
    if isinstance(obj, (Dictionary, pikepdf.Stream)):
        yield where, obj
        children = obj.values()
    elif isinstance(obj, pikepdf.Array):
        children = obj
    else:
        return
    for child in children:
        if isinstance(child, (Dictionary, pikepdf.Array)) and not child.is_indirect:
            yield from _direct_dictionaries(child, where)


def iter_dictionaries(pdf: pikepdf.Pdf):
    """Every dictionary and stream in the file, with where it is ("obj 12 0"), each once."""
    for obj in pdf.objects:
        if isinstance(obj, (Dictionary, pikepdf.Stream, pikepdf.Array)):
            yield from _direct_dictionaries(obj, f"obj {obj.objgen[0]} {obj.objgen[1]}")
    yield from _direct_dictionaries(pdf.trailer, "trailer")


def _resource_fonts(resources, where: str, seen: set):
    if not isinstance(resources, Dictionary):
        return
    if resources.is_indirect:
        if resources.objgen in seen:
            return
        seen.add(resources.objgen)
    for name, font in resources.get("/Font", Dictionary()).items():
        if isinstance(font, Dictionary):
            yield f"{where} {name}", font
            if font.get("/Subtype") == Name.Type3:
                yield from _resource_fonts(font.get("/Resources"), f"{where} {name}", seen)
    for name, xobject in resources.get("/XObject", Dictionary()).items():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == Name.Form:
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            yield from _resource_fonts(xobject.get("/Resources"), f"{where} form {name}", seen)
    for name, pattern in resources.get("/Pattern", Dictionary()).items():
        if isinstance(pattern, pikepdf.Stream):
            yield from _resource_fonts(pattern.get("/Resources"), f"{where} pattern {name}", seen)


def iter_fonts(pdf: pikepdf.Pdf):
    """(where, font) for the fonts of every page, of the forms, patterns and Type 3 fonts they draw, and of
    annotation appearances."""
    seen: set = set()
    for number, page in enumerate(pdf.pages, start=1):
        yield from _resource_fonts(page.obj.get("/Resources"), f"page {number}", seen)
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            appearances = annotation.get("/AP", Dictionary()) if isinstance(annotation, Dictionary) else Dictionary()
            for appearance in appearances.values():
                streams = [appearance] if isinstance(appearance, pikepdf.Stream) else list(appearance.values())
                for stream in streams:
                    if isinstance(stream, pikepdf.Stream):
                        yield from _resource_fonts(stream.get("/Resources"), f"page {number} annotation", seen)


def _drawn_images(content, resources, ctm: pikepdf.Matrix, depth: int):
    stack = []
    xobjects = resources.get("/XObject", Dictionary()) if isinstance(resources, Dictionary) else Dictionary()
    for operands, operator in pikepdf.parse_content_stream(content, "q Q cm Do"):
        op = str(operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm":
            ctm = pikepdf.Matrix(*(float(value) for value in operands)) @ ctm
        elif op == "Do":
            xobject = xobjects.get(operands[0])
            if not isinstance(xobject, pikepdf.Stream):
                continue
            if xobject.get("/Subtype") == Name.Image:
                yield xobject, ctm
            elif xobject.get("/Subtype") == Name.Form and depth < 3:
                matrix = pikepdf.Matrix(*(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])))
                yield from _drawn_images(xobject, xobject.get("/Resources"), matrix @ ctm, depth + 1)


def iter_page_images(page: pikepdf.Page):
    """(image, drawn width pt, drawn height pt) for each image the page draws."""
    for image, ctm in _drawn_images(page, page.obj.get("/Resources"), pikepdf.Matrix(), 0):
        yield image, (ctm.a**2 + ctm.b**2) ** 0.5, (ctm.c**2 + ctm.d**2) ** 0.5


# --- checks ---------------------------------------------------------------------------------------------------


def _header_problems(head: bytes) -> list[str]:
    first, _, rest = head.partition(b"\n")
    match = re.fullmatch(rb"%PDF-1\.([0-7])\r?", first)
    problems = [] if match else [f"header {first[:12]!r} is not %PDF-1.0 to %PDF-1.7"]
    second = rest.split(b"\n", 1)[0]
    if not (second.startswith(b"%") and sum(byte > 127 for byte in second[1:5]) == 4):
        problems.append("no binary comment (four bytes above 127) on the line after the header")
    return problems


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return ["no XMP metadata stream in the catalog"]
    problems = []
    if stream.get("/Type") != Name.Metadata or stream.get("/Subtype") != Name.XML:
        problems.append("the metadata stream is not /Type /Metadata /Subtype /XML")
    header = _XPACKET_HEADER.search(stream.read_bytes()[:512])
    if header and (b"bytes=" in header.group() or b"encoding=" in header.group()):
        problems.append("the XMP packet header has a bytes or encoding attribute")
    meta = pdf.open_metadata()
    part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    if part != PDFA_PART:
        problems.append(f"XMP pdfaid:part is {part!r}, not {PDFA_PART!r}")
    if conformance not in ("A", "B", "U"):
        problems.append(f"XMP pdfaid:conformance is {conformance!r}, not B (or U, A)")
    problems.extend(_info_problems(pdf, meta))
    return problems


def _same_value(docinfo_key: str, info_value: str, xmp_value) -> bool:
    if docinfo_key in ("/CreationDate", "/ModDate"):
        try:
            return decode_pdf_date(info_value) == datetime.fromisoformat(str(xmp_value))
        except ValueError:
            return False
    if isinstance(xmp_value, (list, tuple, set)):
        xmp_value = "; ".join(str(item) for item in xmp_value)
    return info_value == str(xmp_value)


def _info_problems(pdf: pikepdf.Pdf, meta) -> list[str]:
    """Every Info entry PDF/A knows must equal its XMP counterpart (ISO 19005-2, 6.6.2.3)."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, Dictionary):
        return []
    problems = []
    for namespace, key, docinfo_key, _converter in DOCINFO_MAPPING:
        if docinfo_key not in info:
            continue
        xmp_value = meta.get(f"{{{namespace}}}{key}")
        if xmp_value is None or not _same_value(docinfo_key, str(info[docinfo_key]), xmp_value):
            problems.append(f"Info {docinfo_key} {str(info[docinfo_key])!r} differs from XMP {key} {xmp_value!r}")
    return problems


def _output_intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == Name.GTS_PDFA1]
    if not intents:
        return ["no /OutputIntents entry with /S /GTS_PDFA1"]
    problems = []
    profiles = [intent.get("/DestOutputProfile") for intent in intents]
    if len({profile.objgen for profile in profiles if profile is not None}) > 1:
        problems.append("the PDF/A output intents name different profiles")  # ISO 19005-2, 6.2.3
    profile = profiles[0]
    if not isinstance(profile, pikepdf.Stream):
        return [*problems, "the PDF/A output intent has no embedded ICC profile (DestOutputProfile)"]
    data = profile.read_bytes()
    components = {b"RGB ": 3, b"GRAY": 1, b"CMYK": 4}.get(data[16:20])
    if data[36:40] != b"acsp" or components is None:
        problems.append("the output intent's ICC profile is not an RGB, grey or CMYK ICC profile")
    elif profile.get("/N") != components:
        problems.append(f"the output intent's profile has /N {profile.get('/N')}, its data {components} components")
    elif data[8] > 4:
        problems.append(f"the output intent's ICC profile is version {data[8]}, above 4")
    return problems


def _object_problems(pdf: pikepdf.Pdf) -> list[str]:
    """JavaScript, embedded files, forbidden actions and filters, anywhere in the file."""
    found: set[str] = set()
    for where, dictionary in iter_dictionaries(pdf):
        if "/JS" in dictionary or dictionary.get("/S") == Name.JavaScript or "/JavaScript" in dictionary:
            found.add(f"JavaScript ({where})")
        elif dictionary.get("/S") in FORBIDDEN_ACTIONS:
            found.add(f"{dictionary.get('/S')} action ({where})")
        if "/EmbeddedFiles" in dictionary or "/EF" in dictionary or dictionary.get("/Type") == Name.EmbeddedFile:
            found.add(f"embedded files ({where})")
        if "/AA" in dictionary:
            found.add(f"additional actions /AA ({where})")
        if isinstance(dictionary, pikepdf.Stream):
            filters = dictionary.get("/Filter")
            names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
            if Name.LZWDecode in names or Name.Crypt in names:
                found.add(f"LZW or Crypt filter ({where})")
            if "/F" in dictionary:
                found.add(f"stream data in an external file ({where})")
            if dictionary.get("/Subtype") == Name.Image and (
                dictionary.get("/Interpolate") is True or "/Alternates" in dictionary or "/OPI" in dictionary
            ):
                found.add(f"image with /Interpolate true, /Alternates or /OPI ({where})")
            if dictionary.get("/Subtype") == Name.PS or "/PS" in dictionary or dictionary.get("/Subtype2") == Name.PS:
                found.add(f"PostScript XObject ({where})")
    return sorted(found)


def _font_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    reported = set()
    for where, font in iter_fonts(pdf):
        if font.is_indirect:
            if font.objgen in reported:
                continue  # one line per font, not per page that uses it
            reported.add(font.objgen)
        subtype = font.get("/Subtype")
        if subtype == Name.Type3:
            continue  # its glyphs are content streams inside the file
        described = font.DescendantFonts[0] if subtype == Name.Type0 and "/DescendantFonts" in font else font
        descriptor = described.get("/FontDescriptor")
        if not isinstance(descriptor, Dictionary) or not any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            problems.append(f"font {font.get('/BaseFont')} is not embedded ({where})")
    return problems


def _pikepdf_validator_problems(path: Path) -> list[str]:
    try:
        from pikepdf import pdfa as pikepdf_pdfa
    except ImportError:
        return []  # the optional validator is not installed; our own checks still ran
    report = pikepdf_pdfa.validate_written(path, PDFA_PART + PDFA_CONFORMANCE.lower())
    return [f"pikepdf validator: {finding}" for finding in report.violations]


def check_pdfa(path: Path | str) -> list[str]:
    """Problems that keep the file from being PDF/A-2b, as far as we can check (empty = passes our checks)."""
    path = Path(path)
    with path.open("rb") as file:
        problems = _header_problems(file.read(1024))
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return [*problems, "the file is encrypted"]
    with pdf:
        if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
            problems.append("the file is encrypted")
        file_id = pdf.trailer.get("/ID")
        if not isinstance(file_id, pikepdf.Array) or len(file_id) != 2:
            problems.append("the trailer has no /ID")
        problems.extend(_metadata_problems(pdf))
        problems.extend(_output_intent_problems(pdf))
        problems.extend(_object_problems(pdf))
        problems.extend(_font_problems(pdf))
    if not problems:
        problems.extend(_pikepdf_validator_problems(path))
    return problems


def scan_rules_notes(path: Path | str) -> list[str]:
    """Where the file falls short of the rule for a digitised copy: PDF >= 1.4, colour or grey, >= 200 dpi,
    100% scale. Notes, not PDF/A failures: a 150 dpi scan is still archived, and flagged."""
    notes = []
    with pikepdf.open(path) as pdf:
        version = tuple(int(part) for part in pdf.pdf_version.split("."))
        if version < MIN_SCAN_PDF_VERSION:
            notes.append(f"PDF version {pdf.pdf_version} is below 1.4")
        for number, page in enumerate(pdf.pages, start=1):
            drawn = list(iter_page_images(page))
            if not drawn:
                notes.append(f"page {number}: no page image (not a scan)")
                continue
            image, width_pt, height_pt = max(drawn, key=lambda item: int(item[0].Width) * int(item[0].Height))
            dpi_x, dpi_y = int(image.Width) / (width_pt / 72), int(image.Height) / (height_pt / 72)
            if min(dpi_x, dpi_y) < MIN_SCAN_DPI - 0.5:
                notes.append(f"page {number}: image at {min(dpi_x, dpi_y):.0f} dpi, below {MIN_SCAN_DPI}")
            if abs(dpi_x - dpi_y) > MAX_ANISOTROPY * max(dpi_x, dpi_y):
                notes.append(f"page {number}: image stretched ({dpi_x:.0f} x {dpi_y:.0f} dpi), not at 100% scale")
            box = page.mediabox
            page_area = abs(float(box[2]) - float(box[0])) * abs(float(box[3]) - float(box[1]))
            if width_pt * height_pt < MIN_PAGE_COVER * page_area:
                cover = width_pt * height_pt / page_area
                notes.append(f"page {number}: the image covers {cover:.0%} of the page: placed or scaled, check 100%")
            if int(image.get("/BitsPerComponent", 8)) == 1 or image.get("/ImageMask") is True:
                notes.append(f"page {number}: black-and-white (1 bit) image; the rule asks for colour")
    return notes
