"""The made-up company's world: countries and currencies, lead sources, industries,
names, and the campaigns marketing runs.  Simulation parameters, not CRM vocabulary
(that is sample_exports/vocabulary.py, read from the SugarCRM preset)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    name: str
    currency: str
    weight: float
    legal: str
    phone: str  # a format, {} filled with random digits


COUNTRIES: tuple[Country, ...] = (
    Country("United States", "USD", 52, "Inc.", "+1 {3} 555 01{2}"),
    Country("Canada", "USD", 5, "Ltd.", "+1 {3} 555 01{2}"),
    Country("United Kingdom", "GBP", 12, "Ltd", "+44 20 7946 0{3}"),
    Country("Germany", "EUR", 10, "GmbH", "+49 30 {4} {4}"),
    Country("France", "EUR", 6, "SA", "+33 1 {2} {2} {2} {2}"),
    Country("Netherlands", "EUR", 4, "B.V.", "+31 20 {3} {4}"),
    Country("Australia", "USD", 5, "Pty Ltd", "+61 2 {4} {4}"),
    Country("Japan", "JPY", 4, "K.K.", "+81 3 {4} {4}"),
    Country("Brazil", "USD", 2, "Ltda.", "+55 11 {4} {4}"),
)
_COUNTRY_WEIGHTS = [c.weight for c in COUNTRIES]
# USD per unit at the start of the history; each moves by a weekly random walk.
START_RATES = {"EUR": 1.085, "GBP": 1.265, "JPY": 0.00672}

LEAD_SOURCE_BY_CAMPAIGN_TYPE = {
    "Web": "Web Site", "Email": "Email", "NewsLetter": "Email", "Event": "Trade Show",
    "Telesales": "Cold Call", "Paid Search": "Campaign", "Social": "Campaign",
}
# Leads that no campaign sourced, by lead_source: (source, weight).
UNSOURCED = (("Web Site", 10), ("Cold Call", 8), ("Partner", 8), ("Other", 4), ("Email", 3))
CAMPAIGN_SHARE = 0.67  # share of hunting leads sourced by a campaign

INDUSTRIES = ("Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
              "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment",
              "Finance", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
              "Manufacturing", "Media", "Not For Profit", "Retail", "Shipping", "Technology",
              "Telecommunications", "Transportation", "Utilities", "Other")
EMPLOYEE_BANDS = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5000+")

FIRST_NAMES = ("Ada", "Aiden", "Amara", "Andre", "Anika", "Arjun", "Astrid", "Beatriz", "Bruno",
               "Camille", "Carlos", "Chen", "Chloe", "Dalia", "Daniel", "Dmitri", "Elena", "Elif",
               "Emeka", "Emma", "Felix", "Fatima", "Freya", "Gabriel", "Grace", "Hana", "Hugo",
               "Imani", "Ines", "Isaac", "Jonas", "Julia", "Kai", "Kenji", "Lara", "Leon", "Liam",
               "Lina", "Lucas", "Maya", "Mateo", "Mei", "Mila", "Nadia", "Noah", "Nora", "Olga",
               "Omar", "Priya", "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Theo", "Uma",
               "Valentin", "Vera", "Wei", "Yara", "Yusuf", "Zoe", "Marcus", "Helena", "Owen")
LAST_NAMES = ("Abara", "Alvarez", "Andersen", "Bakker", "Barros", "Becker", "Bianchi", "Brennan",
              "Castillo", "Chowdhury", "Costa", "Dubois", "Eriksen", "Farouk", "Fischer", "Fontaine",
              "Garcia", "Gupta", "Hartmann", "Holm", "Ibarra", "Ito", "Jansen", "Kaplan", "Keller",
              "Kowalski", "Larsen", "Lindqvist", "Lopez", "Maddox", "Marino", "Moreau", "Mueller",
              "Nakamura", "Novak", "Okafor", "Olsen", "Park", "Petrov", "Quinn", "Rahman", "Reyes",
              "Rossi", "Sato", "Schmidt", "Silva", "Sorensen", "Tanaka", "Thornton", "Urban",
              "Varga", "Vogel", "Walsh", "Weber", "Whitfield", "Yilmaz", "Zhang", "Ziegler")
COMPANY_PREFIXES = ("Blue", "North", "Silver", "Bright", "Iron", "Red", "Summit", "Harbor", "Pine",
                    "Granite", "Atlas", "Nova", "Vertex", "Cedar", "Falcon", "Orbit", "Pioneer",
                    "Quantum", "Crest", "Maple", "Copper", "Evergreen", "Lumen", "Solar", "Polar",
                    "Coral", "Delta", "Echo", "Juniper", "Meridian", "Oak", "Prism", "Sterling",
                    "Terra", "Union", "Willow", "Zenith", "Amber", "Cobalt", "Hudson")
COMPANY_ROOTS = ("wave", "field", "stone", "bridge", "point", "gate", "line", "works", "path",
                 "core", "peak", "ridge", "light", "dale", "brook", "forge", "view", "mark",
                 "haven", "stream", "wind", "bay", "port", "spring")
COMPANY_TRADES = ("Analytics", "Logistics", "Foods", "Health", "Systems", "Labs", "Energy",
                  "Partners", "Manufacturing", "Media", "Financial", "Retail", "Robotics",
                  "Software", "Consulting", "Group", "Industries", "Technologies", "Biotech",
                  "Motors", "Insurance", "Telecom", "Education", "Hospitality")

TOPICS = ("Pipeline Analytics", "Forecast Accuracy", "Revenue Operations", "Sales Productivity",
          "Customer Retention", "Data Quality", "AI Assistants", "Partner Selling")
EVENTS = ("SaaStr Europa", "Dreamforce", "RevOps Summit", "Web Summit", "B2B Marketing Expo",
          "Gartner CRM Summit", "Sales Leaders Forum", "CRM Expo")
# Campaign types of time-boxed campaigns: (type, weight for being picked, lead weight,
# weeks (min, max), weekly spend in USD for 4 leads a week).
CAMPAIGN_KINDS = (
    ("Web", 3, 2.0, (3, 8), 700.0),
    ("Email", 3, 1.5, (4, 10), 250.0),
    ("Event", 2, 3.0, (2, 4), 4000.0),
    ("Paid Search", 2, 2.0, (6, 14), 1500.0),
    ("Social", 1, 1.0, (4, 12), 800.0),
    ("Telesales", 1, 1.5, (3, 6), 1200.0),
)
# Always-on campaigns: (name, type, lead weight, weekly spend in USD for 4 leads a week).
EVERGREEN = (
    ("Website - Inbound Forms", "Web", 4.0, 300.0),
    ("Google Ads - Brand", "Paid Search", 2.0, 900.0),
    ("Monthly Newsletter", "NewsLetter", 1.0, 120.0),
    ("LinkedIn - Always On", "Social", 1.0, 500.0),
)
# Spend booked per channel with no campaign: (channel, currency, monthly USD for 4 leads a week).
CHANNEL_SPEND = (("Content", "USD", 1500.0), ("SEO", "USD", 1000.0), ("Event", "EUR", 800.0))

