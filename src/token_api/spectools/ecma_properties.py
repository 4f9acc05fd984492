"""ECMA-262's Unicode property escapes, ``\\p{…}`` and ``\\P{…}``, as a check of a pattern's
syntax: JSON Schema patterns are ECMA-262 (Unicode mode in the JSON Schema test suite), where
``[\\p{L}\\p{N}_.:/=+\\-@]*`` is a regular expression; Python's ``re`` has no such escapes and
calls it none (71 of APIs.guru's specs, AWS's tag patterns above all).

The names are ECMA-262's own (tables 67 to 69, General_Category values and binary properties,
with their aliases): Java's ``\\p{Print}`` or ``\\p{Alnum}`` is not ECMA and stays refused.
``Script=…`` values are not listed here and stay refused too."""

from __future__ import annotations

import re

from token_api.spectools.ecma_regex import compile_pattern

_GENERAL_CATEGORIES = """
C Other Cc Control cntrl Cf Format Cn Unassigned Co Private_Use Cs Surrogate L Letter LC
Cased_Letter Ll Lowercase_Letter Lm Modifier_Letter Lo Other_Letter Lt Titlecase_Letter Lu
Uppercase_Letter M Mark Combining_Mark Mc Spacing_Mark Me Enclosing_Mark Mn Nonspacing_Mark N
Number Nd Decimal_Number digit Nl Letter_Number No Other_Number P Punctuation punct Pc
Connector_Punctuation Pd Dash_Punctuation Pe Close_Punctuation Pf Final_Punctuation Pi
Initial_Punctuation Po Other_Punctuation Ps Open_Punctuation S Symbol Sc Currency_Symbol Sk
Modifier_Symbol Sm Math_Symbol So Other_Symbol Z Separator Zl Line_Separator Zp
Paragraph_Separator Zs Space_Separator
"""
_BINARY = """
ASCII ASCII_Hex_Digit AHex Alphabetic Alpha Any Assigned Bidi_Control Bidi_C Bidi_Mirrored
Bidi_M Case_Ignorable CI Cased Changes_When_Casefolded CWCF Changes_When_Casemapped CWCM
Changes_When_Lowercased CWL Changes_When_NFKC_Casefolded CWKCF Changes_When_Titlecased CWT
Changes_When_Uppercased CWU Dash Default_Ignorable_Code_Point DI Deprecated Dep Diacritic Dia
Emoji Emoji_Component EComp Emoji_Modifier EMod Emoji_Modifier_Base EBase Emoji_Presentation
EPres Extended_Pictographic ExtPict Extender Ext Grapheme_Base Gr_Base Grapheme_Extend Gr_Ext
Hex_Digit Hex IDS_Binary_Operator IDSB IDS_Trinary_Operator IDST ID_Continue IDC ID_Start IDS
Ideographic Ideo Join_Control Join_C Logical_Order_Exception LOE Lowercase Lower Math
Noncharacter_Code_Point NChar Pattern_Syntax Pat_Syn Pattern_White_Space Pat_WS Quotation_Mark
QMark Radical Regional_Indicator RI Sentence_Terminal STerm Soft_Dotted SD Terminal_Punctuation
Term Unified_Ideograph UIdeo Uppercase Upper Variation_Selector VS White_Space space
XID_Continue XIDC XID_Start XIDS
"""
_NAMES = frozenset(
    [*_GENERAL_CATEGORIES.split(), *_BINARY.split()]
    + [
        f"{key}={value}"
        for key in ("General_Category", "gc")
        for value in _GENERAL_CATEGORIES.split()
    ]
)
# An escape not itself escaped: an even number of backslashes (or none) before it.
_PROPERTY = re.compile(r"(?<!\\)((?:\\\\)*)\\[pP]\{([A-Za-z_=]+)\}")


def is_regex(instance: object) -> bool:
    """The ``regex`` format: what Python reads (as ecma_regex does), or reads once ECMA's
    property escapes stand in as a class; anything else is not a pattern."""
    if not isinstance(instance, str) or compile_pattern(instance) is not None:
        return True
    known = True

    def stand_in(match: re.Match[str]) -> str:
        nonlocal known
        known = known and match.group(2) in _NAMES
        return match.group(1) + r"\w"

    replaced = _PROPERTY.sub(stand_in, instance)
    return known and replaced != instance and compile_pattern(replaced) is not None
