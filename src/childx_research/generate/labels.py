"""Gold forms: sample the labels first (a scenario, then the other fields), text later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from random import Random
from typing import Any

from .timeline import Trend, scenario_weights


@dataclass
class Story:
    """Everything the text must show: the gold form plus how to tell it."""

    organisation: str
    channel: str
    scenario: str
    gold: dict[str, Any]
    akut_kind: str | None = None
    vague: bool = False
    about_friend: bool = False
    late_disclosure: bool = False
    english: bool = False
    mail_reply: bool = True
    extras: dict[str, Any] = field(default_factory=dict)


def _categorical(rng: Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def _independent(rng: Random, probs: dict[str, float], order: list[str]) -> list[str]:
    chosen = [k for k, p in probs.items() if rng.random() < p]
    if not chosen:
        chosen = [max(probs, key=probs.get)]
    return sorted(set(chosen), key=order.index)


def sample_story(rng: Random, cfg: dict[str, Any], form, day: date, trends: list[Trend]) -> Story:
    lab = cfg["labels"]
    orgs = cfg["organisations"]
    org = _categorical(rng, {k: v["weight"] for k, v in orgs.items()})
    ocfg = orgs[org]
    channel = "mejl" if rng.random() < ocfg["mejl"] else "chatt"

    scenario = _categorical(rng, scenario_weights(cfg, ocfg, trends, day))
    sc = cfg["scenarios"][scenario]
    vague = bool(sc.get("vague"))

    opt = {f.key: f.option_keys for f in form.choice_fields}
    gold: dict[str, Any] = {}
    gold["alder"] = "okand" if vague and rng.random() < 0.7 else _categorical(rng, ocfg["alder"])
    gold["kon"] = "okant" if vague and rng.random() < 0.7 else _categorical(rng, ocfg["kon"])
    gold["utsatthet"] = _independent(rng, sc["utsatthet"], opt["utsatthet"])
    if "sex_mot_ersattning" in gold["utsatthet"] and gold["alder"] == "okand" and rng.random() < 0.5:
        gold["alder"] = "16_17"
    if vague or rng.random() < lab["forovare_unknown"]:
        gold["forovare"] = ["ej_angivet"]
    else:
        gold["forovare"] = _independent(rng, sc["forovare"], opt["forovare"])
    # whoever pays or compensates for sex is a sexköpare (the form's guideline), also when the
    # story otherwise leaves the perpetrator unknown
    if ("sex_mot_ersattning" in gold["utsatthet"] and "sexkopare" in opt["forovare"]
            and "sexkopare" not in gold["forovare"]):
        gold["forovare"] = sorted((set(gold["forovare"]) - {"ej_angivet"}) | {"sexkopare"},
                                  key=opt["forovare"].index)
    gold["pagaende"] = "oklart" if vague else _categorical(rng, lab["pagaende"])

    bf = lab["berattat_for"]
    r = rng.random()
    if vague or r < bf["ej_angivet"]:
        gold["berattat_for"] = ["ej_angivet"]
    elif r < bf["ej_angivet"] + bf["ingen"]:
        gold["berattat_for"] = ["ingen"]
    else:
        told = {_categorical(rng, bf["others"])}
        if rng.random() < bf["second"]:
            told.add(_categorical(rng, bf["others"]))
        gold["berattat_for"] = sorted(told, key=opt["berattat_for"].index)

    if vague:
        gold["polisanmalan"] = "ej_angivet"
    elif "polis" in gold["berattat_for"] and rng.random() < 0.6:
        gold["polisanmalan"] = "ja"
    else:
        gold["polisanmalan"] = _categorical(rng, lab["polisanmalan"])
        if gold["polisanmalan"] == "ja" and "ingen" in gold["berattat_for"]:
            gold["polisanmalan"] = "nej"

    if gold["polisanmalan"] == "ja" and "polis" not in gold["berattat_for"]:
        # a report means the police were told
        told = [o for o in gold["berattat_for"] if o not in ("ingen", "ej_angivet")] + ["polis"]
        gold["berattat_for"] = sorted(told, key=opt["berattat_for"].index)

    m = lab["maende"]
    if vague or rng.random() < m["ej_angivet"]:
        gold["maende"] = ["ej_angivet"]
    else:
        probs = dict(m["options"])
        if "sex_mot_ersattning" in gold["utsatthet"]:
            probs["missbruk"] = probs["missbruk"] * 2.5
        chosen = [k for k, p in probs.items() if rng.random() < p][: m["max"]]
        gold["maende"] = sorted(set(chosen or ["angest"]), key=opt["maende"].index)

    a = lab["akut_risk"]
    p_akut = a["base"]
    if "suicidtankar" in gold["maende"]:
        p_akut = a["with_suicidtankar"]
    if "manniskohandel" in gold["utsatthet"]:
        p_akut = max(p_akut, a["with_manniskohandel"])
    akut_kind = None
    if not vague and rng.random() < p_akut:
        kinds = []
        if "suicidtankar" in gold["maende"]:
            kinds += ["suicid_plan"] * 3
        if set(gold["forovare"]) & {"natkontakt", "sexkopare"}:
            kinds.append("traff_snart")
        if "sex_mot_ersattning" in gold["utsatthet"] or gold["alder"] in ("13_15", "16_17"):
            kinds.append("ingenstans_att_sova")
        if set(gold["utsatthet"]) & {"manniskohandel", "hedersrelaterat"}:
            kinds.append("halls_fast")
        if set(gold["forovare"]) & {"familj", "partner"}:
            kinds.append("pagaende_overgrepp")
        akut_kind = rng.choice(kinds or ["suicid_plan"])
        if akut_kind == "suicid_plan" and "suicidtankar" not in gold["maende"]:
            gold["maende"] = sorted(set(gold["maende"]) - {"ej_angivet"} | {"suicidtankar"}, key=opt["maende"].index)
        if akut_kind in ("traff_snart", "halls_fast", "pagaende_overgrepp"):
            gold["pagaende"] = "ja"
    gold["akut_risk"] = "ja" if akut_kind else "nej"

    mail_reply = channel == "chatt" or rng.random() < lab["hanvisning"]["mail_reply"]
    gold["hanvisning"] = _referrals(rng, gold, lab, vague, mail_reply, opt["hanvisning"])

    return Story(
        organisation=org, channel=channel, scenario=scenario, gold=gold, akut_kind=akut_kind, vague=vague,
        about_friend=channel == "chatt" and rng.random() < lab["about_friend"],
        late_disclosure=rng.random() < lab["late_disclosure"],
        english=rng.random() < lab["english"],
        mail_reply=mail_reply,
    )


def _referrals(rng: Random, gold: dict[str, Any], lab: dict[str, Any], vague: bool, reply: bool,
               order: list[str]) -> list[str]:
    if not reply or (vague and rng.random() < 0.6) or rng.random() < lab["hanvisning"]["none"]:
        return ["ingen"]
    refs: set[str] = set()
    minor = gold["alder"] in ("under_13", "13_15", "16_17")
    if gold["akut_risk"] == "ja":
        refs.add("akut_112")
        if minor and rng.random() < 0.5:
            refs.add("socialtjanst")
    u = set(gold["utsatthet"])
    if u & {"sextortion", "bildspridning", "sexuella_overgrepp", "manniskohandel"} and rng.random() < 0.55:
        refs.add("polis")
    if minor and u & {"sex_mot_ersattning", "manniskohandel", "hedersrelaterat"} and rng.random() < 0.6:
        refs.add("socialtjanst")
    if set(gold["maende"]) & {"sjalvskada", "suicidtankar", "nedstamdhet"} and rng.random() < 0.5:
        refs.add("bup_vard")
    if rng.random() < 0.3:
        refs.add("ungdomsmottagning")
    if rng.random() < 0.3:
        refs.add("annan_organisation")
    if not refs:
        refs.add(rng.choice(["ungdomsmottagning", "annan_organisation", "polis", "socialtjanst", "bup_vard"]))
    return sorted(refs, key=order.index)
