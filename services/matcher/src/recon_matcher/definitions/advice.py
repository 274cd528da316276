"""Warnings about pass settings that validate but cannot take effect.

They are warnings, not errors, because versions saved before these checks existed
must still load.
"""

from recon_matcher.definitions.models import Definition, Grouping, TolerancePass


def setting_warnings(definition: Definition) -> list[str]:
    """Return one warning per pass setting that the engine ignores or cannot reach."""
    warnings: list[str] = []
    for index, spec in enumerate(definition.passes):
        where = f"passes[{index}] ({spec.name})"
        explicit = spec.model_fields_set
        if spec.grouping is Grouping.ONE_TO_ONE:
            ignored = sorted({"max_group_size", "max_group_candidates"} & explicit)
            if ignored:
                verb, pronoun = (
                    ("applies", "it") if len(ignored) == 1 else ("apply", "them")
                )
                warnings.append(
                    f"{where}: {' and '.join(ignored)} {verb} only to grouped "
                    f"passes, and this pass is one_to_one; remove {pronoun} or set "
                    "`grouping`"
                )
        elif (
            isinstance(spec, TolerancePass)
            and spec.max_group_size > spec.max_group_candidates
        ):
            warnings.append(
                f"{where}: max_group_size {spec.max_group_size} is more than "
                f"max_group_candidates {spec.max_group_candidates}, so groups of "
                f"more than {spec.max_group_candidates} items are never found; "
                "raise max_group_candidates or lower max_group_size"
            )
    return warnings
