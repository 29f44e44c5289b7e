"""Swedish personal data for synthetic contacts, in the forms people actually write it.

Name, surname, street and town lists come from Faker's ``sv_SE`` locale (read once,
then sampled with the contact's own ``random.Random`` so generation is fast and
deterministic). Formats (phone numbers, personnummer, handles, mails, URLs) are
written here because Faker has one format each and real chats have many.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from random import Random

from faker.providers.address.sv_SE import Provider as _Address
from faker.providers.company.sv_SE import Provider as _Company
from faker.providers.person.sv_SE import Provider as _Person

from .templates import Segment

# Districts and suburbs: Faker has only towns; real chats name parts of towns.
DISTRICTS = (
    "Rinkeby", "Tensta", "Husby", "Vällingby", "Farsta", "Skärholmen", "Hässelby", "Bagarmossen",
    "Hammarkullen", "Angered", "Bergsjön", "Biskopsgården", "Majorna", "Frölunda", "Rosengård",
    "Möllevången", "Lindängen", "Holma", "Gottsunda", "Sävja", "Skäggetorp", "Ryd", "Navestad",
    "Hageby", "Araby", "Vivalla", "Brickebacken", "Herrgården", "Råslätt", "Öxnehaga", "Gränby",
    "Norrby", "Hallunda", "Alby", "Fittja", "Flemingsberg", "Jordbro", "Tumba", "Märsta", "Sollentuna",
    "Kista", "Akalla", "Södermalm", "Kungsholmen", "Haninge", "Täby", "Nacka", "Bredäng",
    "Västra Frölunda", "Kortedala", "Tynnered", "Kronogården", "Hovsjö", "Ronna", "Geneta",
    "Backa", "Johanneberg", "Haga", "Gamlestaden", "Kallhäll", "Jakobsberg",
)
SCHOOL_STEMS = (
    "Ek", "Björk", "Rosendals", "Lind", "Sjö", "Tall", "Gran", "Äng", "Berg", "Lunda", "Ekhags",
    "Hag", "Solbacka", "Vallby", "Kvarn", "Norr", "Söder", "Väster", "Öster", "Park", "Strand",
    "Skogs", "Malm", "Bäck", "Dal", "Ängs", "Furu", "Lärk", "Hälle", "Kyrk", "Torps", "Hammar",
    "Lövs", "Bro", "Vik", "Näs", "Ås", "Rönnings", "Mos", "Ljung", "Fors", "Ekeby", "Hedens",
)
SCHOOL_SUFFIXES = ("skolan", "skolan", "skolan", "gårdsskolan", "dalsskolan", "bergsskolan", "skolan")
CLUB_FORMS = ("IFK {ort}", "{ort}s IF", "{ort} FF", "{ort} BK", "{ort}s Ridklubb", "{ort} Basket",
              "{ort}s Simsällskap", "IK {stem}", "{ort} Innebandy", "{ort}s Gymnastikförening")
SHOP_FORMS = ("ICA Kvantum {ort}", "ICA Nära {stem}", "Coop {ort}", "Willys {ort}", "Max i {ort}",
              "Pizzeria {stem}", "Hemköp {ort}", "Espresso House {ort}", "Stadium {ort}")
MAIL_DOMAINS = ("gmail.com", "gmail.com", "hotmail.com", "hotmail.se", "outlook.com", "live.se",
                "icloud.com", "yahoo.se", "telia.com", "protonmail.com")
HANDLE_WORDS = ("bby", "official", "xo", "sthlm", "gbg", "mlm", "prinsessan", "kungen", "lilla",
                "real", "its", "the", "baby", "queen", "king", "x", "_", "wav", "ice", "nights",
                "vibes", "gamer", "ttv", "pvp", "hockey", "fotboll", "snus", "bmw", "tjabba")
URL_FORMS = (
    "https://www.instagram.com/{u}", "instagram.com/{u}", "https://snapchat.com/add/{u}",
    "https://www.tiktok.com/@{u}", "tiktok.com/@{u}", "https://onlyfans.com/{u}",
    "https://linktr.ee/{u}", "www.{u}.se", "https://{u}.wordpress.com", "https://discord.gg/{code}",
    "https://t.me/{u}", "https://www.facebook.com/{u}", "http://{u}.blogg.se",
)
MOBILE_PREFIXES = ("070", "072", "073", "076", "079")
LANDLINE = (("08", 7), ("08", 8), ("031", 7), ("040", 6), ("018", 6), ("013", 6), ("090", 6),
            ("0910", 5), ("021", 6), ("035", 6), ("0480", 5), ("054", 6), ("019", 6))


@lru_cache(maxsize=1)
def gazetteers() -> dict[str, tuple[str, ...]]:
    """Faker sv_SE lists, read once."""
    streets = tuple(sorted({f"{p}{s}" for p in _Address.street_prefixes for s in _Address.street_suffixes}))
    return {
        "female": tuple(_Person.first_names_female),
        "male": tuple(_Person.first_names_male),
        "last": tuple(_Person.last_names),
        "towns": tuple(_Address.cities),
        "streets": streets,
        "companies": tuple(f"{n} {s}" for n in list(_Person.last_names)[:80] for s in ("AB", "HB", "Bygg AB")),
    }


def luhn_digit(nine: str) -> int:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


def _ascii(s: str) -> str:
    s = s.replace("å", "a").replace("ä", "a").replace("ö", "o").replace("Å", "A").replace("Ä", "A").replace("Ö", "O")
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


@dataclass
class PiiFactory:
    """Personal data for one contact; names and places recur inside a contact like in life."""

    rng: Random
    year: int = 2025
    seeker_age: int = 16
    seeker_gender: str | None = None  # "female" / "male" / None
    _cast: dict[str, list[str]] = field(default_factory=dict)

    def _recurring(self, key: str, make, p_reuse: float = 0.6) -> str:
        pool = self._cast.setdefault(key, [])
        if pool and self.rng.random() < p_reuse:
            return self.rng.choice(pool)
        value = make()
        pool.append(value)
        return value

    # --- people ------------------------------------------------------------------
    def first_name(self, gender: str | None = None) -> str:
        g = gazetteers()
        if gender is None:
            gender = self.rng.choice(("female", "male"))
        return self._recurring(f"first:{gender}", lambda: self.rng.choice(g[gender]))

    def full_name(self, gender: str | None = None) -> str:
        g = gazetteers()
        gender = gender or self.rng.choice(("female", "male"))
        return self._recurring(f"full:{gender}", lambda: f"{self.rng.choice(g[gender])} {self.rng.choice(g['last'])}")

    def seeker_name(self) -> str:
        """The help-seeker's own name (gender-consistent, fixed for the contact)."""
        if "seeker" not in self._cast:
            g = gazetteers()
            gender = self.seeker_gender or self.rng.choice(("female", "male"))
            self._cast["seeker"] = [self.rng.choice(g[gender]), self.rng.choice(g["last"])]
        return self._cast["seeker"][0]

    # --- places and organisations ----------------------------------------------------
    def town(self) -> str:
        return self._recurring("town", lambda: self.rng.choice(gazetteers()["towns"]), 0.7)

    def district(self) -> str:
        return self._recurring("district", lambda: self.rng.choice(DISTRICTS), 0.7)

    def school(self) -> str:
        # the school's kind follows the seeker's age: a 13-year-old is not at a gymnasium
        upper = self.seeker_age >= 16

        def make() -> str:
            r = self.rng.random()
            stem = self.rng.choice(SCHOOL_STEMS)
            side = self.rng.choice(("Norra", "Södra", "Västra", "Östra"))
            if upper:
                if r < 0.5:
                    return f"{stem}gymnasiet"
                if r < 0.75:
                    return f"{self.town()}s gymnasium"
                return self.rng.choice((f"{side} gymnasiet", f"{stem}skolans gymnasium", f"{stem} gymnasium"))
            if r < 0.85:
                return f"{stem}{self.rng.choice(SCHOOL_SUFFIXES)}"
            return f"{side} {self.rng.choice(('skolan', 'Real'))}"
        return self._recurring("school", make, 0.8)

    def workplace(self) -> str:
        def make() -> str:
            forms = CLUB_FORMS + SHOP_FORMS
            t = self.rng.choice(forms + (None,))
            if t is None:
                return self.rng.choice(gazetteers()["companies"])
            return t.format(ort=self.rng.choice(gazetteers()["towns"]), stem=self.rng.choice(SCHOOL_STEMS).rstrip("s"))
        return self._recurring("work", make, 0.7)

    def address(self) -> str:
        g = gazetteers()
        street = self.rng.choice(g["streets"])
        number = str(self.rng.randint(1, 120)) + (self.rng.choice("ABC") if self.rng.random() < 0.1 else "")
        base = f"{street} {number}"
        r = self.rng.random()
        if r < 0.35:
            pc = f"{self.rng.randint(100, 989)} {self.rng.randint(10, 99)}"
            return f"{base}, {pc} {self.rng.choice(g['towns'])}"
        if r < 0.45:
            return f"{base.lower()}"
        return base

    # --- numbers ------------------------------------------------------------------
    def phone(self) -> str:
        rng = self.rng
        d = lambda k: "".join(str(rng.randint(0, 9)) for _ in range(k))  # noqa: E731
        if rng.random() < 0.8:
            p = rng.choice(MOBILE_PREFIXES)
            a, b, c = d(3), d(2), d(2)
            forms = (
                f"{p}-{a} {b} {c}", f"{p}{a}{b}{c}", f"{p} {a} {b} {c}", f"{p}-{a}{b}{c}",
                f"+46{p[1:]}{a}{b}{c}", f"+46 {p[1:]} {a} {b} {c}", f"+46 (0){p[1:]} {a} {b} {c}",
                f"0046{p[1:]}{a}{b}{c}", f"{p} {a}{b}{c}", f"{p}-{a}{b[0]} {b[1]}{c}",
                f"{p}{a} {b} {c}", f"+46-{p[1:]}-{a}{b}{c}",
            )
            return rng.choice(forms)
        area, n = rng.choice(LANDLINE)
        digits = d(n)
        if n == 8:
            grouped = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        elif n == 7:
            grouped = f"{digits[:3]} {digits[3:5]} {digits[5:]}"
        elif n == 6:
            grouped = f"{digits[:2]} {digits[2:4]} {digits[4:]}"
        else:
            grouped = f"{digits[:3]} {digits[3:]}"
        return rng.choice((f"{area}-{grouped}", f"{area}-{digits}", f"{area} {grouped}",
                           f"+46 {area[1:]} {grouped}", f"({area}) {grouped}"))

    def personnummer(self) -> str:
        rng = self.rng
        age = self.seeker_age if rng.random() < 0.7 else rng.randint(14, 60)
        born = date(self.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
        day = born.day + (60 if rng.random() < 0.1 else 0)  # samordningsnummer
        yymmdd = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
        serial = f"{rng.randint(0, 999):03d}"
        check = luhn_digit(yymmdd + serial)
        last4 = f"{serial}{check}"
        century = f"{born.year // 100}"
        r = rng.random()
        if r < 0.4:
            return f"{yymmdd}-{last4}"
        if r < 0.6:
            return f"{century}{yymmdd}-{last4}"
        if r < 0.75:
            return f"{century}{yymmdd}{last4}"
        if r < 0.9:
            return f"{yymmdd}{last4}"
        return f"{yymmdd} {last4}" if rng.random() < 0.5 else f"{century}{yymmdd} {last4}"

    # --- online identities ------------------------------------------------------------
    def _username(self) -> str:
        rng = self.rng
        g = gazetteers()
        first = _ascii(rng.choice(g["female"] + g["male"])).lower()
        last = _ascii(rng.choice(g["last"])).lower()
        word = rng.choice(HANDLE_WORDS)
        n = str(rng.choice((rng.randint(0, 99), rng.randint(1990, 2015), rng.randint(100, 999))))
        forms = (f"{first}{n}", f"{first}.{last}", f"{first}_{last}{n[-2:]}", f"{word}{first}",
                 f"{first}.{word}", f"xx{first}xx", f"{first[:4]}{last[:3]}{n[-2:]}", f"{first}_{word}_{n[-2:]}",
                 f"{last}{n}", f"{first}{first[-1]}{first[-1]}", f"{word}.{last}", f"{first}.{n[-2:]}")
        return rng.choice(forms)

    def handle(self) -> str:
        def make() -> str:
            u = self._username()
            return ("@" + u) if self.rng.random() < 0.4 else u
        return self._recurring("handle", make, 0.5)

    def email(self) -> str:
        rng = self.rng
        g = gazetteers()
        first = _ascii(rng.choice(g["female"] + g["male"])).lower()
        last = _ascii(rng.choice(g["last"])).lower()
        local = rng.choice((f"{first}.{last}", f"{first}{last[:1]}{rng.randint(0, 99):02d}",
                            f"{first[0]}{last}{rng.randint(1, 9)}", self._username().lstrip("@")))
        return f"{local}@{rng.choice(MAIL_DOMAINS)}"

    def url(self) -> str:
        t = self.rng.choice(URL_FORMS)
        code = "".join(self.rng.choice("abcdefghjkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(7))
        return t.format(u=self._username().lstrip("@").replace(".", "_") if "{u}.se" in t or "//{u}." in t else self._username().lstrip("@"), code=code)

    # --- slot filling ---------------------------------------------------------------
    def segment(self, slot: str) -> Segment:
        maker = {
            "namn": ("PERSON", lambda: self.first_name()),
            "namn_k": ("PERSON", lambda: self.first_name("male")),
            "namn_t": ("PERSON", lambda: self.first_name("female")),
            "fullnamn": ("PERSON", lambda: self.full_name()),
            "ort": ("PLATS", self.town),
            "omrade": ("PLATS", self.district),
            "skola": ("ORGANISATION", self.school),
            "arbetsplats": ("ORGANISATION", self.workplace),
            "telefon": ("TELEFON", self.phone),
            "epost": ("EPOST", self.email),
            "personnummer": ("PERSONNUMMER", self.personnummer),
            "adress": ("ADRESS", self.address),
            "handle": ("ANVANDARNAMN", self.handle),
            "url": ("URL", self.url),
        }.get(slot)
        if maker is None:
            raise KeyError(slot)
        label, make = maker
        return Segment(make(), label)


PII_SLOTS = frozenset({"namn", "namn_k", "namn_t", "fullnamn", "ort", "omrade", "skola", "arbetsplats",
                       "telefon", "epost", "personnummer", "adress", "handle", "url"})
