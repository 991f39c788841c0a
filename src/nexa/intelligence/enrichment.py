"""Enrichment from what we hold locally: pure functions, no database, no network.

* an email address -> its kind (``free`` / ``disposable`` / ``role`` / ``business``), the
  registrable domain, a company-name guess and a website (``https://<domain>``);
* a phone number -> country (ISO 3166 alpha-2) and line type, by ``phonenumbers`` (Google's
  libphonenumber metadata shipped in the package), with the lead's country as default region;
* a job title -> seniority (``c_level``, ``vp``, ``director``, ``manager``, ``senior``,
  ``entry``, ``other``) and department, from English, German, French and Spanish forms.

The domain lists below are written here by hand (well-known providers); they are a guess
that a person may correct, never a verdict.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

EMAIL_KINDS = ("business", "free", "disposable", "role")
SENIORITIES = ("c_level", "vp", "director", "manager", "senior", "entry", "other")
DEPARTMENTS = (
    "sales",
    "marketing",
    "engineering",
    "it",
    "finance",
    "hr",
    "operations",
    "support",
    "product",
    "legal",
    "executive",
)

# ---- email domains ----------------------------------------------------------------------

# Second-level public suffixes common enough to matter (``acme.co.uk`` is Acme's domain,
# not ``co.uk``'s). Not the whole Public Suffix List: a short list that covers most mail.
SECOND_LEVEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au",
        "co.nz", "org.nz", "co.za", "org.za", "co.jp", "ne.jp", "or.jp", "ac.jp",
        "co.kr", "or.kr", "co.in", "net.in", "org.in", "firm.in",
        "com.br", "net.br", "org.br", "com.mx", "org.mx", "com.ar", "com.co", "com.pe",
        "com.cn", "net.cn", "org.cn", "com.hk", "com.tw", "com.sg", "com.my", "co.id",
        "co.th", "com.ph", "com.vn", "com.tr", "com.pl", "co.il", "com.ua", "com.eg",
        "com.sa", "co.ke", "com.ng", "co.at", "or.at", "com.es", "com.pt", "com.gr",
    }
)  # fmt: skip

# Free-mail providers: exact domains, and brands whose every country domain is free mail
# (``yahoo.*``, ``hotmail.*``, ``gmx.*`` …), matched on the registrable label.
FREE_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "live.com", "msn.com", "aol.com",
        "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "protonmail.ch",
        "pm.me", "tutanota.com", "tutanota.de", "tuta.io", "zoho.com", "zohomail.com",
        "yandex.com", "yandex.ru", "ya.ru", "mail.ru", "inbox.ru", "list.ru", "bk.ru",
        "web.de", "t-online.de", "freenet.de", "posteo.de", "mailbox.org", "arcor.de",
        "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "libero.it",
        "virgilio.it", "tin.it", "alice.it", "seznam.cz", "wp.pl", "o2.pl", "interia.pl",
        "onet.pl", "bluewin.ch", "telenet.be", "skynet.be", "ziggo.nl", "kpnmail.nl",
        "btinternet.com", "sky.com", "virginmedia.com", "ntlworld.com", "talktalk.net",
        "comcast.net", "verizon.net", "att.net", "sbcglobal.net", "bellsouth.net",
        "cox.net", "charter.net", "earthlink.net", "juno.com", "rediffmail.com",
        "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net", "hanmail.net",
        "fastmail.com", "fastmail.fm", "hushmail.com", "mail.com", "email.com",
        "usa.com", "inbox.com", "hey.com", "rocketmail.com", "ymail.com", "gmx.net",
        "yahoo.com", "hotmail.com", "uol.com.br", "bol.com.br", "terra.com.br",
    }
)  # fmt: skip
FREE_BRANDS = frozenset({"yahoo", "hotmail", "gmx", "outlook", "live", "aol", "yandex"})

# Well-known disposable (throw-away) address providers, and words that give one away.
DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com", "mailinator.net", "mailinator2.com", "10minutemail.com",
        "10minutemail.net", "20minutemail.com", "guerrillamail.com", "guerrillamail.net",
        "guerrillamail.org", "guerrillamail.biz", "guerrillamail.de", "guerrillamailblock.com",
        "sharklasers.com", "grr.la", "pokemail.net", "spam4.me", "yopmail.com", "yopmail.fr",
        "yopmail.net", "cool.fr.nf", "jetable.fr.nf", "tempmail.com", "temp-mail.org",
        "temp-mail.io", "tempmail.net", "tempmailo.com", "tempail.com", "tempr.email",
        "tempinbox.com", "throwawaymail.com", "trashmail.com", "trashmail.de",
        "trashmail.net", "trash-mail.com", "getnada.com", "nada.email", "dispostable.com",
        "maildrop.cc", "mailnesia.com", "fakeinbox.com", "mintemail.com", "mohmal.com",
        "emailondeck.com", "spamgourmet.com", "mytemp.email", "discard.email",
        "burnermail.io", "mailcatch.com", "inboxkitten.com", "moakt.com", "jetable.org",
        "wegwerfmail.de", "wegwerfmail.net", "einrot.com", "spambog.com", "mailtemp.net",
        "33mail.com", "anonaddy.me", "harakirimail.com", "mail-temp.com", "tmpmail.org",
        "tmpmail.net", "fakemail.net", "emailfake.com", "crazymailing.com", "mvrht.net",
        "mailpoof.com", "linshiyouxiang.net", "dropmail.me", "1secmail.com", "1secmail.org",
    }
)  # fmt: skip
DISPOSABLE_WORDS = (
    "mailinator", "10minutemail", "guerrillamail", "yopmail", "tempmail", "temp-mail",
    "trashmail", "throwaway", "disposable", "wegwerf", "fakemail", "spambox",
)  # fmt: skip

# Local parts that name a function, not a person.
ROLE_LOCAL_PARTS = frozenset(
    {
        "info", "information", "sales", "admin", "administrator", "support", "contact",
        "contactus", "hello", "hi", "office", "team", "marketing", "billing", "accounts",
        "accounting", "invoices", "invoice", "finance", "hr", "jobs", "careers", "recruiting",
        "noreply", "no-reply", "donotreply", "do-not-reply", "webmaster", "postmaster",
        "hostmaster", "help", "helpdesk", "enquiries", "enquiry", "inquiries", "inquiry",
        "service", "services", "customerservice", "press", "media", "pr", "legal",
        "compliance", "privacy", "security", "abuse", "it", "orders", "order", "shop",
        "store", "feedback", "reception", "mail", "email", "general", "newsletter", "news",
        "partners", "partner", "procurement", "purchasing", "ops", "operations", "root",
        "kontakt", "vertrieb", "buchhaltung", "bestellung", "ventas", "contacto", "ventes",
        "commercial", "bonjour", "hallo", "hola",
    }
)  # fmt: skip

_EMAIL = re.compile(
    r"^[^@\s]+@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$"
)
_ALL_CAPS_MAX = 3  # "ibm" -> "IBM", "sap" -> "SAP"


def registrable_domain(host: str) -> str:
    """``mail.eu.acme.co.uk`` -> ``acme.co.uk`` (by the short second-level suffix list)."""
    labels = host.lower().strip(".").split(".")
    if len(labels) <= 2:
        return ".".join(labels)
    if ".".join(labels[-2:]) in SECOND_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def domain_of_website(website: str | None) -> str | None:
    """The registrable domain of a website as people type it (``https://www.acme.com/x``,
    ``acme.com``, ``WWW.ACME.COM:443``); None when it holds no domain."""
    if not website:
        return None
    text = website.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if "." not in text or not re.fullmatch(r"[a-z0-9.-]+", text):
        return None
    return registrable_domain(text)


def email_domain(email: str | None) -> str | None:
    """The registrable domain of an email address (None when it is not one)."""
    parts = _split_email(email)
    return registrable_domain(parts[1]) if parts else None


def _split_email(email: str | None) -> tuple[str, str] | None:
    if not email:
        return None
    text = email.strip().lower()
    found = _EMAIL.match(text)
    if not found:
        return None
    local = text.rsplit("@", 1)[0]
    return local, found.group(1)


def _brand(domain: str) -> str:
    """The label before the public suffix: ``acme.co.uk`` -> ``acme``."""
    return domain.split(".", 1)[0]


def email_kind(email: str | None) -> str | None:
    """``disposable``, ``free``, ``role`` or ``business``; None when it is not an address."""
    parts = _split_email(email)
    if parts is None:
        return None
    local, host = parts
    domain = registrable_domain(host)
    if (
        domain in DISPOSABLE_DOMAINS
        or host in DISPOSABLE_DOMAINS
        or any(word in host for word in DISPOSABLE_WORDS)
    ):
        return "disposable"
    if domain in FREE_DOMAINS or host in FREE_DOMAINS or _brand(domain) in FREE_BRANDS:
        return "free"
    base = local.split("+", 1)[0]
    if base in ROLE_LOCAL_PARTS or base.replace(".", "").replace("_", "") in ROLE_LOCAL_PARTS:
        return "role"
    return "business"


def company_from_domain(domain: str | None) -> str | None:
    """A readable company-name guess: ``acme-robotics.co.uk`` -> ``Acme Robotics``."""
    if not domain:
        return None
    brand = _brand(domain)
    words = [w for w in re.split(r"[-_]+", brand) if w]
    if not words:
        return None
    if len(words) == 1 and len(words[0]) <= _ALL_CAPS_MAX:
        return words[0].upper()
    return " ".join(w.capitalize() for w in words)


@dataclass(frozen=True)
class EmailFacts:
    kind: str | None
    domain: str | None
    company: str | None  # a guess; only for business and role addresses
    website: str | None


def email_facts(email: str | None) -> EmailFacts:
    kind = email_kind(email)
    domain = email_domain(email) if kind else None
    if kind in ("business", "role") and domain:
        return EmailFacts(kind, domain, company_from_domain(domain), f"https://{domain}")
    return EmailFacts(kind, domain, None, None)


def is_company_domain(kind: str | None) -> bool:
    """Whether an address of this kind says which company a person works for."""
    return kind in ("business", "role")


# ---- phone numbers ----------------------------------------------------------------------

LINE_TYPES: dict[int, str] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


@dataclass(frozen=True)
class PhoneFacts:
    valid: bool
    country: str | None  # ISO 3166-1 alpha-2
    line_type: str | None
    e164: str | None


NO_PHONE = PhoneFacts(False, None, None, None)


def phone_facts(phone: str | None, default_region: str | None = None) -> PhoneFacts:
    """Country and line type of ``phone``; a number without ``+`` is read in
    ``default_region`` (the lead's country). Numbers that do not parse or are not valid
    numbers of any plan give nothing (a typo is not a country)."""
    if not phone or not phone.strip():
        return NO_PHONE
    region = (default_region or "").strip().upper() or None
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        region = None
    try:
        number = phonenumbers.parse(phone.strip()[:64], region)
    except NumberParseException:
        return NO_PHONE
    if not phonenumbers.is_valid_number(number):
        return NO_PHONE
    country = phonenumbers.region_code_for_number(number)
    if country in (None, "ZZ", "001"):
        country = None
    line = LINE_TYPES.get(phonenumbers.number_type(number), "unknown")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneFacts(True, country, line, e164)


# ---- job titles -------------------------------------------------------------------------


def _plain(title: str) -> str:
    """Lower case, accents removed (``Geschäftsführer`` -> ``geschaftsfuhrer``), punctuation
    as spaces except ``&``-free word joins, one space between words."""
    text = unicodedata.normalize("NFKD", title.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("ß", "ss")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return f" {text.strip()} "


def _words(*alternatives: str) -> re.Pattern[str]:
    """Whole words or phrases (in the plain form: spaces around every word)."""
    return re.compile("|".join(f" {a} " for a in alternatives))


def _stems(*alternatives: str) -> re.Pattern[str]:
    """Substrings, for compound words (``vertriebsleiter``, ``marketingleiterin``)."""
    return re.compile("|".join(alternatives))


# An assistant *to* an executive is not the executive.
_ASSISTANT_TO = _words(
    "assistant to", "executive assistant", "personal assistant", "pa to", "assistant of",
    "assistente", "assistentin", "assistenz", "secretary", "sekretar", "sekretarin",
)  # fmt: skip
_SENIORITY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "vp",
        _words(
            "vp", "svp", "evp", "avp", "vice president", "vice pres", "vicepresident",
            "vicepresidente", "vicepresidenta", "vice presidente", "vice presidenta",
            "vizeprasident", "vizeprasidentin",
        ),
    ),
    (
        "c_level",
        _words(
            "ceo", "cfo", "cto", "coo", "cmo", "cio", "ciso", "cro", "cpo", "chro", "clo",
            "cso", "cco", "cdo", "cao", "chief", "founder", "co founder", "cofounder",
            "president", "presidente", "presidenta", "president directeur general", "pdg",
            "owner", "inhaber", "inhaberin", "managing director", "managing partner",
            "general director", "director general", "directora general",
            "directeur general", "directrice generale", "consejero delegado",
            "consejera delegada", "gerente general", "vorstand", "vorstandsvorsitzender",
            "prasident", "prasidentin", "amministratore delegato",
        ),
    ),
    ("c_level", _stems("geschaftsfuhr", "geschaeftsfuehr", "vorstandsvorsitz")),
    (
        "director",
        _words(
            "director", "directors", "dir", "directeur", "directrice", "directora",
            "direktor", "direktorin", "direttore", "head", "heads", "head of", "bereichsleiter",
            "bereichsleiterin", "abteilungsleiter", "abteilungsleiterin", "leiter",
            "leiterin",
        ),
    ),
    # "Vertriebsleiter", "Marketingleiterin" (but a "Teamleiter" leads a team: manager)
    ("manager", _stems("teamleiter", "gruppenleiter", "projektleiter")),
    ("director", _stems(r"[a-z]leiter(in)? ")),
    (
        "manager",
        _words(
            "manager", "managers", "mgr", "management", "supervisor", "team lead",
            "team leader", "gerente", "jefe", "jefa", "responsable",
            "chef de projet", "chef de service", "chef", "manageur", "gestionnaire",
            "coordinator", "coordinador", "coordinadora", "foreman",
        ),
    ),
    (
        "senior",
        _words(
            "senior", "sr", "snr", "principal", "staff engineer", "staff software engineer",
            "staff scientist", "lead", "expert", "experto", "experte",
        ),
    ),
    (
        "entry",
        _words(
            "intern", "interns", "internship", "trainee", "junior", "jr", "graduate",
            "apprentice", "assistant", "student", "working student",
            "praktikant", "praktikantin", "werkstudent", "werkstudentin", "auszubildender",
            "azubi", "stagiaire", "alternant", "alternante", "becario", "becaria",
            "practicante", "pasante", "entry level",
        ),
    ),
)  # fmt: skip
_NOT_OWNER = _words("product owner", "process owner", "business owner", "service owner")

_DEPARTMENT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("legal", _words(
        "legal", "counsel", "lawyer", "attorney", "paralegal", "compliance", "clo",
        "jurist", "juristin", "juriste", "abogado", "abogada", "rechtsanwalt", "avocat",
    )),
    ("hr", _words(
        "hr", "human resources", "people", "talent", "recruiter", "recruiting",
        "recruitment", "chro", "personnel", "rh", "ressources humaines", "recursos humanos",
        "personalabteilung", "personalleiter", "personalreferent", "people operations",
    )),
    ("finance", _words(
        "finance", "financial", "cfo", "accountant", "accounting", "controller",
        "controlling", "treasury", "treasurer", "payroll", "audit", "auditor", "tax",
        "bookkeeper", "buchhaltung", "buchhalter", "buchhalterin", "finanzas", "finanzen",
        "comptable", "comptabilite", "contable", "contador", "contadora", "fp a",
    )),
    ("marketing", _words(
        "marketing", "cmo", "growth", "brand", "content", "seo", "sem", "demand generation",
        "communications", "comms", "pr", "public relations", "social media", "digital media",
        "mercadotecnia", "communication",
    )),
    ("marketing", _stems("marketing")),
    ("sales", _words(
        "sales", "account executive", "account manager", "ae", "bdr", "sdr", "business development",
        "revenue", "cro", "key account", "inside sales", "commercial", "ventas", "ventes",
        "vendedor", "vendedora", "verkauf", "verkaufer", "verkauferin", "partnerships",
        "channel", "pre sales", "presales",
    )),
    ("sales", _stems("vertrieb")),
    ("support", _words(
        "support", "customer success", "customer service", "customer care", "client services",
        "service desk", "customer experience", "cx", "kundenservice", "kundendienst",
        "soporte", "atencion al cliente", "service client",
    )),
    ("product", _words(
        "product", "products", "cpo", "product owner", "ux", "ui", "user experience",
        "produkt", "producto", "produit",
    )),
    ("it", _words(
        "it", "information technology", "cio", "ciso", "information officer",
        "information security", "infosec", "sysadmin", "system administrator",
        "systems administrator", "network", "helpdesk", "help desk", "infrastructure",
        "informatik", "informatique", "informatica", "edv",
    )),
    ("engineering", _words(
        "engineer", "engineering", "engineers", "developer", "developers", "software",
        "devops", "cto", "programmer", "architect", "data scientist", "sre", "qa", "technology",
        "technical", "tech", "ingenieur", "ingenieurin", "ingeniero", "ingeniera",
        "desarrollador", "desarrolladora", "developpeur", "developpeuse", "r d", "research",
    )),
    ("engineering", _stems("entwickl", "softwareentwickl")),
    ("operations", _words(
        "operations", "operating", "coo", "ops", "logistics", "supply chain", "procurement",
        "purchasing", "facilities", "warehouse", "fulfillment", "einkauf", "operaciones",
        "logistik", "logistique", "betrieb", "produktion", "production", "manufacturing",
    )),
    ("executive", _words(
        "ceo", "chief executive", "founder", "co founder", "cofounder", "owner", "president",
        "managing director", "managing partner", "general manager", "general director",
        "director general", "directeur general", "pdg", "consejero delegado",
        "gerente general", "inhaber", "inhaberin", "vorstand", "presidente", "prasident",
    )),
    ("executive", _stems("geschaftsfuhr", "geschaeftsfuehr")),
)  # fmt: skip


@dataclass(frozen=True)
class TitleFacts:
    seniority: str | None
    department: str | None


def title_facts(title: str | None) -> TitleFacts:
    """Seniority and department of a job title (None for an empty title; seniority
    ``other`` and department None when nothing in it is recognised)."""
    if not title or not title.strip():
        return TitleFacts(None, None)
    text = _plain(title[:200])
    return TitleFacts(_seniority(text), _department(text))


def _seniority(text: str) -> str:
    if _ASSISTANT_TO.search(text):
        return "entry"
    for level, pattern in _SENIORITY_RULES:
        found = pattern.search(text)
        if found is None:
            continue
        if level == "c_level" and found.group(0).strip() == "owner" and _NOT_OWNER.search(text):
            continue
        return level
    return "other"


def _department(text: str) -> str | None:
    for department, pattern in _DEPARTMENT_RULES:
        if pattern.search(text):
            if department == "executive" and _NOT_OWNER.search(text):
                continue
            return department
    return None


# ---- everything at once -----------------------------------------------------------------


@dataclass(frozen=True)
class Enrichment:
    email_kind: str | None
    email_domain: str | None
    company_guess: str | None
    website_guess: str | None
    phone_valid: bool
    phone_country: str | None
    phone_line_type: str | None
    phone_e164: str | None
    seniority: str | None
    department: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def enrich(
    *,
    email: str | None = None,
    phone: str | None = None,
    title: str | None = None,
    country: str | None = None,
) -> Enrichment:
    """What the address, number and title tell us (``country`` is the default region)."""
    mail = email_facts(email)
    tel = phone_facts(phone, country)
    job = title_facts(title)
    return Enrichment(
        email_kind=mail.kind,
        email_domain=mail.domain,
        company_guess=mail.company,
        website_guess=mail.website,
        phone_valid=tel.valid,
        phone_country=tel.country,
        phone_line_type=tel.line_type,
        phone_e164=tel.e164,
        seniority=job.seniority,
        department=job.department,
    )
