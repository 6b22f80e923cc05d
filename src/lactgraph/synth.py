"""A synthetic corpus of entries in both input forms: a test and benchmark tool.

`write_corpus(products, seed, out_dir)` writes the same made-up entries as the source's
JSON export (`export/part-0001.jsonl`…, JSON Lines of `get_term` documents, 5,000 a file)
and as English entry pages (`pages/<slug>.txt`, the text rendering `sources.page` reads).
Nothing here is medical knowledge, and nothing here ever goes into graph/.

Why it is shaped this way:

- Deterministic. Every choice comes from a `random.Random` seeded from `seed` (one
  generator per product and one per shared pool), never from the global generator or the
  clock, and no set is ever iterated: the same seed gives byte-identical files in any
  process, whatever PYTHONHASHSEED.
- Realistic where a reader or a query can tell (DESIGN.md §1): levels skewed like a
  safety database (0: 55 %, 1: 25 %, 2: 13 %, 3: 7 %); one to three groups out of three
  hundred; synonyms, other writings (Catalan, Latin, ATC codes, molecular formulas) and
  brand names, some brands shared by two or three products (combinations); related
  products and alternatives that point to other products of the corpus with their levels;
  references drawn from a pool shared by all products (about two per product), with
  PubMed links in the export; commentaries of 0.5-5 KB in English and Spanish whose
  author-year citations match the product's references, with the seed's kinds of typo
  (transposed year digits, a surname variant) and corporate authors ("CDC 2005");
  pharmacokinetic values in the source's formats.
- Checked as it is written. A typo is kept only if `sources.citations.resolve` still
  finds the intended reference, and about one product in thirty cites a work missing from
  its bibliography, checked to resolve to nothing; `CorpusSummary` counts both, so a test
  can tell the intended unresolved citations from a resolver regression.
- Streaming. Only the skeleton (names and levels), the groups, the reference pool and the
  combination brands are held in memory; each entry is generated, written in both forms
  and dropped.
- The two forms carry what the source's two outputs carry: the export has Spanish names
  and commentary, ids, creation dates and links, but no synonyms, other writings, related
  products, brand countries or pKa; the page has those but only the English side.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple, TextIO, TypeVar

from .iris import slugify
from .records import Reference
from .sources import fold
from .sources.citations import resolve
from .sources.export import bibliography_line
from .sources.pharmacokinetics import PK_VARIABLES
from .sources.references import surname
from .vocab import RISK_LEVELS

T = TypeVar("T")
FORMS = ("json", "pages")
RECORDS_PER_FILE = 5000
LEVEL_WEIGHTS = (55, 25, 13, 7)
GROUPS = 300
REFERENCES_PER_PRODUCT = 2  # size of the shared pool, per product
TYPO_RATE = 0.04  # share of citations written with a typo
UNRESOLVABLE_RATE = 1 / 30  # share of products citing a work missing from their bibliography

# --- word lists ----------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """The distinct words of a text, in order: long word lists stay readable."""
    return tuple(dict.fromkeys(text.split()))


_STARTS = _words(
    "a ab ac al am an ar at az ba be bi bro bu ca ce ci clo co cy da de di do du e el en er es "
    "eti fa fe fi flu fo ga ge gli gra ha he hy i im in ir is ka ke la le li lo lu ma me mi mo "
    "na ne ni no o ol om on or pa pe pi pra pro qui ra re ri ro sa se si so su ta te ti to tra "
    "tri va ve vi vo xa za ze zi zo"
)
_MIDDLES = _words(
    "- ba ce da fe ga li lo ma mi na ne pa pi ra ri ro sa ta te ti to va xi zo cla dro flo pra "
    "tri me lu bu cu do ge ki mo nu po"
)
_DRUG_ENDINGS = tuple(
    tuple(pair.split("/"))
    for pair in _words(
        "pril/pril sartan/sartán olol/olol azepam/azepam cillin/cilina mycin/micina "
        "statin/statina oxacin/oxacino prazole/prazol tidine/tidina triptan/triptán mab/mab "
        "vir/vir dipine/dipino afil/afilo setron/setrón profen/profeno tadine/tadina "
        "caine/caína zoline/zolina ine/ina ide/ida one/ona ate/ato amide/amida fenac/fenaco "
        "lukast/lukast gliptin/gliptina parin/parina platin/platino conazole/conazol "
        "dronate/dronato floxacin/floxacino nidazole/nidazol semide/semida terol/terol "
        "tinib/tinib vastatin/vastatina"
    )
)
_PLANT_ADJECTIVES = (
    ("Roman", "romana"), ("Common", "común"), ("Wild", "silvestre"), ("Sweet", "dulce"),
    ("Bitter", "amarga"), ("Black", "negra"), ("White", "blanca"), ("Red", "roja"),
    ("Mountain", "de montaña"), ("Garden", "de jardín"), ("Chinese", "china"),
    ("Indian", "india"), ("Siberian", "siberiana"), ("Marsh", "de pantano"),
    ("Golden", "dorada"), ("Spiny", "espinosa"), ("Dwarf", "enana"), ("Giant", "gigante"),
    ("Lesser", "menor"), ("Greater", "mayor"),
)
_PLANTS = (
    ("Chamomile", "Manzanilla"), ("Sage", "Salvia"), ("Mint", "Menta"), ("Nettle", "Ortiga"),
    ("Fennel", "Hinojo"), ("Valerian", "Valeriana"), ("Thyme", "Tomillo"),
    ("Mallow", "Malva"), ("Rue", "Ruda"), ("Anise", "Anís"), ("Hawthorn", "Espino"),
    ("Elder", "Saúco"), ("Willow", "Sauce"), ("Ginseng", "Ginseng"), ("Clover", "Trébol"),
    ("Yarrow", "Milenrama"), ("Lavender", "Lavanda"), ("Rosemary", "Romero"),
    ("Dandelion", "Diente de león"), ("Horsetail", "Cola de caballo"), ("Hop", "Lúpulo"),
    ("Linden", "Tilo"), ("Oregano", "Orégano"), ("Melissa", "Melisa"),
    ("Gentian", "Genciana"), ("Arnica", "Árnica"), ("Sorrel", "Acedera"), ("Borage", "Borraja"),
    ("Verbena", "Verbena"), ("Licorice", "Regaliz"),
)
_GENERA = _words(
    "Achillea Anthemis Artemisia Calendula Chamaemelum Echinacea Foeniculum Hypericum "
    "Matricaria Melissa Mentha Salvia Thymus Urtica Valeriana Sambucus Salix Panax Trifolium "
    "Lavandula Rosmarinus Taraxacum Equisetum Humulus Tilia Origanum Gentiana Arnica Rumex "
    "Borago Glycyrrhiza"
)
_SPECIES = _words(
    "nobile officinalis vulgaris montana alba nigra sinensis indica major minor repens "
    "arvensis sylvestris perforatum angustifolia purpurea dioica graveolens lupulus cordata"
)
_PROCEDURE_PREFIXES = (
    ("Cryo", "Crio"), ("Hydro", "Hidro"), ("Electro", "Electro"), ("Photo", "Foto"),
    ("Thermo", "Termo"), ("Radio", "Radio"), ("Magneto", "Magneto"), ("Lipo", "Lipo"),
    ("Ozono", "Ozono"), ("Presso", "Preso"), ("Chromo", "Cromo"), ("Aroma", "Aroma"),
)
_PROCEDURE_ENDINGS = (
    ("therapy", "terapia"), ("lysis", "lisis"), ("puncture", "punción"),
    ("cavitation", "cavitación"), ("massage", "masaje"), ("peeling", "peeling"),
    ("stimulation", "estimulación"), ("drainage", "drenaje"),
)
_SALTS = _words(
    "hydrochloride sodium potassium maleate citrate sulfate acetate mesylate tartrate "
    "phosphate"
)
_GROUP_ADJECTIVES = (
    ("Selective", "selectivos"), ("Topical", "tópicos"), ("Systemic", "sistémicos"),
    ("Oral", "orales"), ("Synthetic", "sintéticos"), ("Natural", "naturales"),
    ("Hormonal", "hormonales"), ("Central", "centrales"), ("Peripheral", "periféricos"),
    ("Ophthalmic", "oftálmicos"), ("Dermatological", "dermatológicos"), ("Nasal", "nasales"),
    ("Vaginal", "vaginales"), ("Inhaled", "inhalados"), ("Injectable", "inyectables"),
    ("Long-acting", "de acción prolongada"), ("Short-acting", "de acción corta"),
    ("Mixed", "mixtos"), ("Combined", "combinados"), ("Other", "otros"),
)
_GROUP_NOUNS = (
    ("agents", "Agentes"), ("derivatives", "Derivados"), ("inhibitors", "Inhibidores"),
    ("antagonists", "Antagonistas"), ("products", "Productos"), ("drugs", "Fármacos"),
    ("preparations", "Preparados"), ("compounds", "Compuestos"),
    ("supplements", "Suplementos"), ("antibiotics", "Antibióticos"),
    ("analgesics", "Analgésicos"), ("anaesthetics", "Anestésicos"),
    ("antiseptics", "Antisépticos"), ("antihistamines", "Antihistamínicos"),
    ("antidepressants", "Antidepresivos"),
)
_SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright "
    "Scott Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell "
    "Parker Evans Edwards Collins Stewart Morris Rogers Reed Cook Morgan Bell Murphy Bailey "
    "Cooper Richardson Cox Howard Ward Peterson Gray James Watson Brooks Kelly Sanders Price "
    "Bennett Wood Barnes Ross Henderson Coleman Jenkins Perry Powell Long Patterson Hughes "
    "Flores Butler Simmons Foster Bryant Alexander Russell Griffin Hayes Myers Ford Hamilton "
    "Graham Sullivan Wallace Woods Cole West Jordan Owens Reynolds Fisher Ellis Harrison "
    "Gibson McDonald Cruz Marshall Ortiz Gomez Murray Freeman Wells Webb Simpson Stevens "
    "Tucker Porter Hunter Hicks Crawford Henry Boyd Mason Morales Kennedy Warren Dixon Ramos "
    "Reyes Burns Gordon Shaw Holmes Rice Robertson Hunt Black Daniels Palmer Mills Nichols "
    "Grant Knight Ferguson Rose Stone Hawkins Dunn Perkins Hudson Spencer Gardner Stephens "
    "Payne Pierce Berry Matthews Arnold Wagner Willis Ray Watkins Olson Carroll Duncan Snyder "
    "Hart Cunningham Bradley Lane Andrews Ruiz Harper Fox Riley Armstrong Carpenter Weaver "
    "Greene Lawrence Elliott Chavez Sims Austin Peters Kelley Franklin Lawson Hale Ito Koren "
    "Anderson Bennett Hotham Ilett Kristensen Begg Sachs Berlin Briggs Nordeng Spigset "
    "Larsen Ostrea Kaneko Matheson Moretti Schaefer Weibert Yoshida Nakamura Tanaka Suzuki "
    "Sato Kobayashi Watanabe Chen Wang Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange "
    "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez "
    "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres "
    "Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado "
    "Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido Cortés Castillo Santos "
    "Lozano Guerrero Cano Prieto Méndez Cruz Calvo Gallego Vidal León Márquez Herrera Peña "
    "Flores Cabrera Campos Vega Fuentes Carrasco Diez Caballero Reyes Nieto Aguilar Pascual "
    "Santana Herrero Lorenzo Montero Hidalgo Giménez Ibáñez Ferrer Durán Santiago Benítez "
    "Mora Vicente Vargas Arias Carmona Crespo Román Pastor Soto Sáez Velasco Moya Soler "
    "Parra Esteban Bravo Gallardo Rojas Paricio Galmés Quiñones Orjuela Vukčević Couderc "
    "Jayasinghe Vedamurthy Sivagnanam Wongkitisophon Atiyeh Herreros Sarkar Konda Dupont "
    "Lefebvre Moreau Laurent Simon Michel Leroy Roux David Bertrand Morel Fournier Girard "
    "Bonnet Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
    "Gallo Conti Costa Giordano Mancini Rizzo Lombardi Silva Souza Oliveira Pereira Almeida "
    "Ribeiro Carvalho Gomes Martins Araújo Barbosa Rocha Dias Nascimento Andrade Moura "
    "Nielsen Jensen Hansen Pedersen Andersen Johansson Karlsson Nilsson Eriksson Larsson "
    "Novak Kowalski Nowak Horvat Kovač Popescu Ionescu Papadopoulos Yilmaz Kaya Demir"
)
_COMPOUND_SURNAMES = (
    "Rivera-Olivero", "Galmés-Truyols", "Gutiérrez-de la Peña", "Da Mata Jardín",
    "Ramalle-Gómara", "El-Domyati", "Lecadet-Morin", "Fernández-Vilariño", "Van den Berg",
    "de Waard", "Hernández-Pérez", "Portell-Arbona", "Ruiz-Veramendi", "Seguí-Prat",
    "Martí-Alomar", "García-Morrás", "López-Sánchez", "Moreno-Villares", "Del Valle",
    "De la Cruz", "O'Brien", "O'Connor", "McCarthy", "Saint-Martin", "Abu-Saad",
)
_CORPORATE_AUTHORS = (
    ("Centers for Disease Control and Prevention (CDC)", "CDC"),
    ("World Health Organization (WHO)", "WHO"),
    ("American Academy of Pediatrics (AAP)", "AAP"),
    ("European Medicines Agency (EMA)", "EMA"),
    ("Food and Drug Administration (FDA)", "FDA"),
    ("National Institute for Health and Care Excellence (NICE)", "NICE"),
    ("Agencia Española de Medicamentos y Productos Sanitarios (AEMPS)", "AEMPS"),
    ("Academy of Breastfeeding Medicine (ABM)", "ABM"),
)
_JOURNALS = (
    "Breastfeed Med", "J Hum Lact", "Pediatrics", "Br J Clin Pharmacol",
    "Am J Obstet Gynecol", "Eur J Clin Pharmacol", "Clin Pharmacokinet", "Acta Paediatr",
    "Ther Drug Monit", "J Pediatr", "Drug Saf", "Ann Pharmacother", "Obstet Gynecol",
    "Arch Dis Child Fetal Neonatal Ed", "Int Breastfeed J", "J Clin Psychiatry", "Lancet",
    "BMJ", "Med Mal Infect", "An Pediatr (Barc)", "Rev Esp Pediatr",
    "Enferm Infecc Microbiol Clin", "Can Fam Physician", "Aust N Z J Psychiatry",
    "J Perinatol", "Pharmacotherapy", "Clin Pediatr (Phila)", "Paediatr Drugs",
    "Reprod Toxicol", "Birth Defects Res", "J Obstet Gynaecol Can", "Drugs", "Epilepsia",
    "Neurology", "Anesth Analg", "Anaesthesia", "Obes Rev", "Int J Dermatol",
    "J Pharmacol Pharmacother", "Actas Dermosifiliogr",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PAGE_MONTHS = (
    "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.",
    "Dec.",
)
_FULL_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_TITLES = (
    "{Drug} excretion into human milk.",
    "Transfer of {drug} into breast milk and infant exposure.",
    "{Topic} during lactation: a {study}.",
    "Safety of {group} in breastfeeding women: a {study}.",
    "Is {drug} compatible with breastfeeding?",
    "[{Topic} in nursing mothers: a {study}].",
    "Pharmacokinetics of {drug} in lactating women.",
    "Neonatal outcomes after maternal exposure to {group}.",
    "{Effect} in a breastfed infant exposed to {drug}: a case report.",
    "Milk to plasma ratio of {drug} and its metabolites.",
    "[{Effect} after maternal use of {drug}].",
)
_TOPICS = (
    "Drug transfer", "Medication use", "Infant exposure", "Maternal pharmacotherapy",
    "Milk production", "Adverse reactions", "Drug safety", "Herbal remedies",
    "Antibiotic treatment", "Pain management", "Anaesthesia", "Vaccination",
)
_STUDIES = (
    "systematic review", "cohort study", "case series", "prospective study",
    "pharmacokinetic study", "narrative review", "cross-sectional survey", "case report",
)
_EFFECTS = (
    "Drowsiness", "Poor feeding", "Irritability", "Diarrhoea", "Rash", "Apnoea",
    "Methaemoglobinaemia", "Haemolysis", "Jaundice", "Withdrawal syndrome",
)
_COUNTRIES = (
    "Spain", "Portugal", "France", "Italy", "Germany", "Austria", "Belgium", "Netherlands",
    "United Kingdom", "Ireland", "Denmark", "Sweden", "Norway", "Finland", "Poland", "Greece",
    "Turkey", "Mexico", "Argentina", "Chile", "Colombia", "Peru", "Venezuela", "Brazil",
    "United States", "Canada", "Australia", "Japan", "India", "South Africa",
)
_BRAND_SYLLABLES = tuple(c + v for c in "bcdfgklmnprstvxz" for v in "aeio")  # 64, two letters
_BRAND_MULTIPLIER, _BRAND_OFFSET = 1_000_003, 777_777  # code * M + O mod 64**k: a bijection
_BRAND_DECORATIONS = ("", "", "", "®", " Forte", " Retard", " Plus", " Junior")
_CONDITIONS = (
    ("pain", "dolor"), ("fever", "fiebre"), ("hypertension", "hipertensión"),
    ("depression", "depresión"), ("epilepsy", "epilepsia"), ("asthma", "asma"),
    ("migraine", "migraña"), ("acne", "acné"), ("insomnia", "insomnio"),
    ("gastric reflux", "reflujo gástrico"), ("urinary infections", "infecciones urinarias"),
    ("anxiety", "ansiedad"), ("allergic rhinitis", "rinitis alérgica"),
    ("diabetes", "diabetes"), ("nausea and vomiting", "náuseas y vómitos"),
    ("psoriasis", "psoriasis"), ("hypothyroidism", "hipotiroidismo"),
    ("mastitis", "mastitis"), ("anaemia", "anemia"), ("cough", "tos"),
)
# Sentences of a commentary, English and Spanish: {n} the name, {c} a condition.
_SENTENCES = (
    ("{n} is used in the treatment of {c}.", "{n} se utiliza en el tratamiento de {c}."),
    ("At latest update no published data on its excretion into breast milk were found.",
     "A fecha de la última actualización no encontramos datos publicados sobre su excreción "
     "en la leche materna."),
    ("Its pharmacokinetic properties make it unlikely to pass into breast milk in significant "
     "amounts.",
     "Sus propiedades farmacocinéticas hacen poco probable el paso a la leche materna en "
     "cantidades significativas."),
    ("The amount excreted into breast milk was clinically non-significant.",
     "La cantidad excretada en la leche materna fue clínicamente no significativa."),
    ("No problems have been observed in infants whose mothers were taking it.",
     "No se han observado problemas en lactantes cuyas madres lo tomaban."),
    ("Plasma levels in breastfed infants were undetectable or very low.",
     "Los niveles plasmáticos en lactantes fueron indetectables o muy bajos."),
    ("Its high protein binding and large molecular weight make its passage into milk very "
     "unlikely.",
     "Su elevada unión a proteínas y su alto peso molecular hacen muy improbable su paso a "
     "la leche."),
    ("Until more data are known, a safer alternative is preferable, especially in the "
     "neonatal period and in case of prematurity.",
     "Hasta que haya más datos es preferible una alternativa más segura, especialmente "
     "durante el periodo neonatal y en caso de prematuridad."),
    ("Expert authors consider it compatible with breastfeeding.",
     "Autores expertos lo consideran compatible con la lactancia."),
    ("Monitor the infant for drowsiness, poor feeding and irritability.",
     "Vigile en el lactante la aparición de somnolencia, rechazo de tomas e irritabilidad."),
    ("Its oral bioavailability is low, which hinders its passage into the infant's plasma "
     "from ingested breast milk.",
     "Su baja biodisponibilidad oral dificulta el paso al plasma del lactante a partir de la "
     "leche ingerida."),
    ("It is authorised for use in infants and young children for {c}.",
     "Está autorizado para su uso en lactantes y niños pequeños para {c}."),
    ("Several cases of adverse effects have been published in infants exposed through "
     "breast milk.",
     "Se han publicado varios casos de efectos adversos en lactantes expuestos a través de "
     "la leche materna."),
    ("It may decrease milk production, so it is advisable to monitor the infant's weight "
     "gain.",
     "Puede disminuir la producción de leche, por lo que es aconsejable vigilar la ganancia "
     "de peso del lactante."),
    ("Topical use on a small surface is unlikely to cause problems during breastfeeding.",
     "El uso tópico en una superficie pequeña es poco probable que cause problemas durante la "
     "lactancia."),
    ("Avoid applying it on the nipple or the areola.",
     "Evite aplicarlo sobre el pezón o la areola."),
    ("A long half-life favours its accumulation in the plasma of the infant.",
     "Una vida media larga favorece su acumulación en el plasma del lactante."),
    ("Concentrations in milk were lower than in maternal plasma.",
     "Las concentraciones en leche fueron menores que en el plasma materno."),
    ("The relative infant dose is well below the usual safety threshold of ten percent.",
     "La dosis relativa del lactante está muy por debajo del umbral habitual de seguridad del "
     "diez por ciento."),
    ("Its use during breastfeeding has been reported without problems in several case "
     "series.",
     "Se ha descrito su uso durante la lactancia sin problemas en varias series de casos."),
    ("Occasional use is compatible with breastfeeding; repeated or prolonged use requires "
     "caution.",
     "El uso ocasional es compatible con la lactancia; el uso repetido o prolongado requiere "
     "precaución."),
    ("Mothers should use it at the lowest effective dose and for the shortest time possible.",
     "Las madres deben usarlo a la menor dosis eficaz y durante el menor tiempo posible."),
)
_PLANT_SENTENCES = (
    *_SENTENCES,
    ("{n} is a remedy traditionally used for {c} whose efficacy has not been shown.",
     "{n} es un remedio tradicionalmente usado para {c} cuya eficacia no se ha demostrado."),
    ("Herbal products may contain contaminants or be adulterated with other substances.",
     "Los productos de herboristería pueden contener contaminantes o estar adulterados con "
     "otras sustancias."),
)
_BOILERPLATE = (
    "Suggestions made at e-lactancia are done by APILAM team of health professionals, and are "
    "based on updated scientific publications. It is not intended to replace the relationship "
    "you have with your doctor but to compound it.",
    "Jose Maria Paricio, Founder & President of APILAM/e-Lactancia",
    "Your contribution is essential for this service to continue to exist. We need the "
    "generosity of people like you who believe in the benefits of breastfeeding.",
    "Thank you for helping to protect and promote breastfeeding.",
)
_CLOSING = (
    "Help us improve this entry",
    "How to cite this entry",
    "Do you need more information or did not found what you were looking for?",
    "   Write us at",
)
# Pharmacokinetic variables: (low, high) of plausible values, in the variable's unit.
_PK_RANGES = {
    "oral-bioavailability": (5, 100),
    "molecular-weight": (100, 1500),
    "protein-binding": (1, 99),
    "volume-of-distribution": (0.05, 20),
    "pka": (2, 12),
    "tmax": (0.25, 6),
    "half-life": (0.5, 60),
    "milk-plasma-ratio": (0.01, 5),
    "theoretical-infant-dose": (0.001, 2),
    "relative-infant-dose": (0.01, 20),
    "relative-paediatric-dose": (0.1, 20),
}
_FIRST_DAY = datetime(2005, 1, 1)
_DAYS = (datetime(2024, 12, 31) - _FIRST_DAY).days


def _below(rng: random.Random, count: int) -> int:
    """rng.randrange(count), a few times faster: a corpus makes millions of these draws."""
    return int(rng.random() * count)


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    """rng.choice(items), as fast as `_below`."""
    return items[int(rng.random() * len(items))]


# --- the skeleton: what other entries need to know about each product ----------------------


@dataclass
class _Skeleton:
    """Names (English, Spanish), levels and kinds of every product, indexed alike."""

    names: list[str] = field(default_factory=list)
    spanish: list[str] = field(default_factory=list)
    levels: bytearray = field(default_factory=bytearray)
    plants: bytearray = field(default_factory=bytearray)
    untranslated: bytearray = field(default_factory=bytearray)  # Spanish in English fields
    by_level: tuple[list[int], ...] = field(default_factory=lambda: ([], [], [], []))


def _drug_name(rng: random.Random) -> tuple[str, str]:
    start, middle = _pick(rng, _STARTS), _pick(rng, _MIDDLES).strip("-")
    ending, ending_es = _pick(rng, _DRUG_ENDINGS)
    stem = start + middle
    return (stem + ending).capitalize(), (stem.replace("y", "i") + ending_es).capitalize()


def _plant_name(rng: random.Random) -> tuple[str, str]:
    adjective, adjective_es = _pick(rng, _PLANT_ADJECTIVES)
    plant, plant_es = _pick(rng, _PLANTS)
    return f"{adjective} {plant.lower()}", f"{plant_es} {adjective_es}"


def _procedure_name(rng: random.Random) -> tuple[str, str]:
    prefix, prefix_es = _pick(rng, _PROCEDURE_PREFIXES)
    ending, ending_es = _pick(rng, _PROCEDURE_ENDINGS)
    return prefix + ending, prefix_es + ending_es


_KINDS = ((_drug_name, 80), (_plant_name, 12), (_procedure_name, 8))


@dataclass(frozen=True)
class _Name:
    english: str
    spanish: str
    plant: bool = False
    untranslated: bool = False  # the Spanish name in the English field, as in the source


def _unique_name(rng: random.Random, index: int, taken: set[str]) -> _Name:
    """A name unique by slug; when a small name space (plants) runs out, a drug's."""
    maker = rng.choices([k for k, _ in _KINDS], [w for _, w in _KINDS])[0]
    untranslated = maker is _drug_name and rng.random() < 0.03
    for attempt in range(40):
        english, spanish = (maker if attempt < 8 else _drug_name)(rng)
        name = _Name(spanish if untranslated else english, spanish,
                     maker is _plant_name and attempt < 8, untranslated)
        if slugify(name.english) not in taken:
            taken.add(slugify(name.english))
            return name
    english = f"{name.english} {index}"  # digits: unique by index
    taken.add(slugify(english))
    return _Name(english, f"{name.spanish} {index}", untranslated=untranslated)


def _skeleton(products: int, seed: int) -> _Skeleton:
    rng = random.Random(f"{seed}/skeleton")
    skeleton = _Skeleton()
    taken: set[str] = set()  # only looked up, never iterated
    for index in range(products):
        name = _unique_name(rng, index, taken)
        level = rng.choices(range(4), LEVEL_WEIGHTS)[0]
        skeleton.names.append(name.english)
        skeleton.spanish.append(name.spanish)
        skeleton.levels.append(level)
        skeleton.plants.append(name.plant)
        skeleton.untranslated.append(name.untranslated)
        skeleton.by_level[level].append(index)
    return skeleton


def _groups() -> list[tuple[str, str]]:
    """Three hundred (English, Spanish) group names: every adjective with every noun."""
    return [
        (f"{adjective} {noun}", f"{noun_es} {adjective_es}")
        for noun, noun_es in _GROUP_NOUNS
        for adjective, adjective_es in _GROUP_ADJECTIVES
    ][:GROUPS]


# --- the shared reference pool ------------------------------------------------------------


class _PoolReference(NamedTuple):
    authors: str  # "Smith AB, Jones C"
    cited: str  # the name a citation uses: first author's surname, or the acronym
    second: str | None  # second author's surname, for "A & B 2010"
    several: bool  # three or more authors: "A et al. 2010"
    title: str
    publication: str  # "Journal." or "Journal. Year;Vol(Issue):pages"
    year: int
    abstract_link: str
    full_text_link: str
    key: tuple[str, int]  # (folded name, year): two alike would make citations ambiguous


_LETTERS = "ABCDEFGHIJKLMNOPRSTVW"
_INITIALS = (*_LETTERS, *(a + b for a in _LETTERS for b in _LETTERS))  # one or (mostly) two


def _author(rng: random.Random) -> str:
    name = _pick(rng, _COMPOUND_SURNAMES) if rng.random() < 0.06 else _pick(rng, _SURNAMES)
    return f"{name} {_pick(rng, _INITIALS)}"


def _title(rng: random.Random) -> str:
    drug = _drug_name(rng)[0]
    return _pick(rng, _TITLES).format(
        Drug=drug,
        drug=drug.lower(),
        Topic=_pick(rng, _TOPICS),
        study=_pick(rng, _STUDIES),
        group=_pick(rng, _GROUP_NOUNS)[0],
        Effect=_pick(rng, _EFFECTS),
    )


def _publication(rng: random.Random, year: int) -> str:
    journal = _pick(rng, _JOURNALS)
    if rng.random() < 0.6:
        return f"{journal}."
    month = f" {_pick(rng, _MONTHS)}" if rng.random() < 0.5 else ""
    first = rng.randint(1, 1500)
    volume, issue, last = rng.randint(1, 160), rng.randint(1, 12), first + rng.randint(2, 14)
    return f"{journal}. {year}{month};{volume}({issue}):{first}-{last}"


def _pool_reference(rng: random.Random, number: int) -> _PoolReference:
    year = min(2024, 1970 + int(55 * rng.random() ** 0.6))  # skewed to recent years
    if rng.random() < 0.03:
        authors, cited = _pick(rng, _CORPORATE_AUTHORS)
        people = [authors]
    else:
        count = rng.choices(range(1, 13), (20, 15, 14, 12, 10, 8, 6, 5, 4, 3, 2, 1))[0]
        people = [_author(rng) for _ in range(count)]
        authors, cited = ", ".join(people), surname(people[0])
    pmid = 1_000_000 + number * 37 + _below(rng, 37)  # increasing: unique
    abstract = ""
    if rng.random() < 0.85:
        abstract = (f"https://www.ncbi.nlm.nih.gov/pubmed/{pmid}" if rng.random() < 0.5
                    else f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
    full_text = f"https://doi.org/10.{1000 + number % 9000}/{pmid}" if rng.random() < 0.25 else ""
    return _PoolReference(
        authors=authors,
        cited=cited,
        second=surname(people[1]) if len(people) == 2 else None,
        several=len(people) > 2,
        title=_title(rng),
        publication=_publication(rng, year),
        year=year,
        abstract_link=abstract,
        full_text_link=full_text,
        key=(fold(cited), year),
    )


def _reference_pool(size: int, seed: int) -> list[_PoolReference]:
    rng = random.Random(f"{seed}/references")
    return [_pool_reference(rng, number) for number in range(size)]


# --- combination brands ---------------------------------------------------------------------


def _brand_name(code: int, space: int) -> str:
    """A made-up brand name, different for every code below `space` (a bijection)."""
    digits = 1
    while len(_BRAND_SYLLABLES) ** digits < space:
        digits += 1
    scrambled = (code * _BRAND_MULTIPLIER + _BRAND_OFFSET) % len(_BRAND_SYLLABLES) ** digits
    syllables = []
    for _ in range(max(digits, 3)):
        scrambled, digit = divmod(scrambled, len(_BRAND_SYLLABLES))
        syllables.append(_BRAND_SYLLABLES[digit])
    return "".join(syllables).capitalize()


def _combinations(products: int, seed: int, space: int) -> dict[int, list[str]]:
    """Brands with two or three active ingredients: product -> its combination brands."""
    rng = random.Random(f"{seed}/combinations")
    by_product: dict[int, list[str]] = {}
    for number in range(products // 20):
        name = _brand_name(products * 20 + number, space)
        decoration = _below(rng, len(_BRAND_DECORATIONS))
        for index in rng.sample(range(products), min(products, _pick(rng, (2, 2, 3)))):
            by_product.setdefault(index, []).append(name + _BRAND_DECORATIONS[decoration])
    return by_product


# --- one entry ---------------------------------------------------------------------------------


@dataclass
class _Entry:
    """Everything about one product, before it is written in either form."""

    index: int
    name: str
    spanish: str
    level: int
    created: datetime
    updated: datetime
    commentary: dict[str, str]
    related: list[int]
    alternatives: list[int]
    aliases: list[str]
    writings: list[tuple[str, str]]  # (language or script, name)
    groups: list[int]
    brands: list[tuple[str, list[str], bool]]  # (name, countries, combination)
    pharmacokinetics: list[tuple[str, str]]  # (variable key, raw value)
    references: list[_PoolReference]
    citations: int = 0
    typos: int = 0
    unresolvable: int = 0


@dataclass
class _Corpus:
    """What every entry draws from: read-only once built."""

    seed: int
    skeleton: _Skeleton
    groups: list[tuple[str, str]]
    pool: list[_PoolReference]
    combinations: dict[int, list[str]]
    brand_space: int


def _skewed(rng: random.Random, low: int, high: int, power: float = 2.0) -> int:
    """An integer in [low, high], small values more likely (most entries have few items)."""
    return low + int((high - low + 1) * rng.random() ** power)


def _others(rng: random.Random, index: int, pool: Sequence[int], count: int,
            exclude: Sequence[int] = ()) -> list[int]:
    """Up to `count` distinct products of `pool`, never `index` itself nor `exclude`."""
    chosen: list[int] = []
    for _ in range(count * 3):
        if len(chosen) == count or not pool:
            break
        other = pool[_below(rng, len(pool))]
        if other != index and other not in chosen and other not in exclude:
            chosen.append(other)
    return chosen


def _mentions(rng: random.Random, corpus: _Corpus, index: int, level: int
              ) -> tuple[list[int], list[int]]:
    """(related products, alternatives): alternatives are safer products, when any."""
    levels = corpus.skeleton.by_level
    safer = [levels[lower] for lower in range(level) if levels[lower]]
    alternatives: list[int] = []
    if safer and rng.random() < 0.8:
        for _ in range(_skewed(rng, 1, 4)):
            alternatives += _others(rng, index, _pick(rng, safer), 1, alternatives)
    everyone = range(len(corpus.skeleton.names))
    related = _others(rng, index, everyone, _skewed(rng, 0, 4, 3), alternatives)
    return related, alternatives


def _radix(number: int, bases: Sequence[int]) -> list[int]:
    """`number` in a mixed radix (the last digit unbounded): distinct numbers, distinct digits."""
    digits = []
    for base in bases:
        number, digit = divmod(number, base)
        digits.append(digit)
    return [*digits, number]


def _atc_code(rng: random.Random, index: int) -> str:
    """ "N02BE01"-shaped, distinct for every index (an other writing names one product)."""
    low, first, second, high = _radix(index, (100, 26, 26))
    return f"{_pick(rng, 'ABCDGHJLMNPRSV')}{low:02d}{chr(65 + first)}{chr(65 + second)}{high:02d}"


def _formula(index: int) -> str:
    """A molecular formula, distinct for every index."""
    counts = zip(_radix(index, (30, 40, 5, 8)), (5, 4, 0, 0, 0), strict=True)
    elements = [(element, count + offset) for element, (count, offset)
                in zip(("C", "H", "N", "O", "S"), counts, strict=True)]
    return "".join(f"{e}{n if n > 1 else ''}" for e, n in elements if n)


def _catalan(name: str, spanish: str, plant: bool) -> str:
    """A Catalan-looking writing, distinct for distinct names (writings are not shared)."""
    if plant:
        return spanish.replace("ñ", "ny")
    if name.endswith("y"):
        return name[:-1] + "ia"
    return name[:-1] + "a" if name.endswith("e") else name + "a"


_GENUS_OF = {plant.lower(): genus for (plant, _), genus in zip(_PLANTS, _GENERA, strict=False)}
_SPECIES_OF = {adjective: s for (adjective, _), s in zip(_PLANT_ADJECTIVES, _SPECIES, strict=False)}


def _latin(name: str) -> str:
    """The plant's made-up botanical name: one per (adjective, plant), like its English name."""
    adjective, plant = name.split(" ", 1)
    return f"{_GENUS_OF[plant]} {_SPECIES_OF[adjective]}"


def _writings(rng: random.Random, corpus: _Corpus, index: int) -> list[tuple[str, str]]:
    """0-3 other writings: Catalan, Latin (plants), ATC code and molecular formula (drugs)."""
    skeleton = corpus.skeleton
    name, plant = skeleton.names[index], bool(skeleton.plants[index])
    candidates = []
    if not skeleton.untranslated[index]:  # "Novaconazol" would give Novaconazole's Catalan
        candidates.append(("Catalan", _catalan(name, skeleton.spanish[index], plant)))
    if plant:
        candidates.append(("Latin (botanical)", _latin(name)))
    else:
        candidates += [("ATC code", _atc_code(rng, index)), ("Molecular formula", _formula(index))]
    return rng.sample(candidates, min(len(candidates), _skewed(rng, 0, 3)))


def _brands(rng: random.Random, corpus: _Corpus, index: int) -> list[tuple[str, list[str], bool]]:
    def countries() -> list[str]:
        return rng.sample(_COUNTRIES, _skewed(rng, 1, 4))

    combined = [(name, countries(), True) for name in corpus.combinations.get(index, [])]
    single = [
        (_brand_name(index * 20 + k, corpus.brand_space)
         + _BRAND_DECORATIONS[_below(rng, len(_BRAND_DECORATIONS))], countries(), False)
        for k in range(_skewed(rng, 0, 20, 2.5) - len(combined))
    ]
    return single + combined


def _number(value: float) -> str:
    """The source's decimal comma, with as many decimals as the magnitude calls for."""
    decimals = 0 if value >= 20 else 1 if value >= 1 else 2 if value >= 0.1 else 3
    return f"{value:.{decimals}f}".replace(".", ",")


def _pk_raw(rng: random.Random, low: float, high: float) -> str:
    """A value in one of the source's shapes: 90, 60 - 90, 1,6 ± 0,6, 1,1 (0,5 - 2,9), 89 / 60."""
    a, b = sorted(rng.uniform(low, high) for _ in range(2))
    shape = rng.choices(range(5), (50, 25, 10, 10, 5))[0]
    if shape == 0:
        return _number(a)
    if shape == 1 and _number(a) != _number(b):
        return f"{_number(a)} - {_number(b)}"
    if shape == 2:
        return f"{_number(b)} ± {_number((b - a) / 3 or low)}"
    if shape == 3 and len({_number(a), _number((a + b) / 2), _number(b)}) == 3:
        return f"{_number((a + b) / 2)} ({_number(a)} - {_number(b)})"
    return f"{_number(b)} / {_number(a)}"


def _pharmacokinetics(rng: random.Random, plant: bool) -> list[tuple[str, str]]:
    share = 0.1 if plant else 0.55
    return [
        (key, _pk_raw(rng, *_PK_RANGES[key])) for key in PK_VARIABLES if rng.random() < share
    ]


def _bibliography(rng: random.Random, corpus: _Corpus) -> list[_PoolReference]:
    """3-40 references from the shared pool (popular ones more often), newest first."""
    wanted = _skewed(rng, 3, 40, 2.2)
    chosen: dict[tuple[str, int], _PoolReference] = {}
    for _ in range(wanted * 3):
        if len(chosen) == wanted:
            break
        reference = corpus.pool[int(len(corpus.pool) * rng.random() ** 1.3)]
        chosen.setdefault(reference.key, reference)  # one per (name, year): unambiguous
    return sorted(chosen.values(), key=lambda r: (-r.year, r.authors))


def _entry(corpus: _Corpus, index: int) -> _Entry:
    rng = random.Random(f"{corpus.seed}/product/{index}")
    skeleton = corpus.skeleton
    level = skeleton.levels[index]
    updated = _FIRST_DAY + timedelta(days=_below(rng, _DAYS), seconds=_below(rng, 86400))
    created = _FIRST_DAY + (updated - _FIRST_DAY) * rng.random()
    related, alternatives = _mentions(rng, corpus, index, level)
    name = skeleton.names[index]
    entry = _Entry(
        index=index,
        name=name,
        spanish=skeleton.spanish[index],
        level=level,
        created=created.replace(microsecond=0),
        updated=updated,
        commentary={},
        related=related,
        alternatives=alternatives,
        aliases=[f"{name} {salt}" for salt in rng.sample(_SALTS, _skewed(rng, 0, 10, 2.5))],
        writings=_writings(rng, corpus, index),
        groups=sorted(rng.sample(range(len(corpus.groups)), rng.choices((1, 2, 3), (6, 3, 1))[0])),
        brands=_brands(rng, corpus, index),
        pharmacokinetics=_pharmacokinetics(rng, bool(skeleton.plants[index])),
        references=_bibliography(rng, corpus),
    )
    _write_commentaries(rng, corpus, entry)
    return entry


# --- commentaries and their citations -------------------------------------------------------


def _as_records(references: Sequence[_PoolReference]) -> list[Reference]:
    """Just what `resolve` reads: the first author and the year, by position."""
    return [
        Reference(position, "", [r.authors.split(", ")[0]], None, None, r.year)
        for position, r in enumerate(references, start=1)
    ]


def _could_be_typo_of(cited: str, actual: str) -> bool:
    """True when `resolve` could take one year for the other: equal, one digit wrong, or
    digits swapped (a superset of what it accepts; see sources/citations.py)."""
    differing = sum(a != b for a, b in zip(cited, actual, strict=True))
    return differing <= 1 or (differing == 2 and sorted(cited) == sorted(actual))


def _resolves_to(name: str, year: int, records: Sequence[Reference]) -> int | None:
    """`resolve`'s answer, asked only about the references whose year the cited one could
    stand for: the others score nothing, and skipping them keeps every typo checkable."""
    cited = str(year)
    return resolve(name, year, [r for r in records if _could_be_typo_of(cited, str(r.year))])[0]


def _name_variant(name: str, rng: random.Random) -> str | None:
    """A variant the seed shows: first part of a hyphenated or multi-word name, or a letter
    dropped ("Galés" for Galmés)."""
    if "-" in name:
        return name.split("-")[0]
    if " " in name:
        return " ".join(name.split()[:-1])
    if len(name) >= 6 and not name.isupper():
        cut = rng.randrange(1, len(name) - 1)
        return name[:cut] + name[cut + 1 :]
    return None


def _year_typo(year: int, rng: random.Random) -> int | None:
    """Two adjacent digits swapped, as in "Konda 2103" for 2013."""
    digits = list(str(year))
    at = _pick(rng, (1, 2))
    digits[at], digits[at + 1] = digits[at + 1], digits[at]
    typo = int("".join(digits))
    return typo if typo != year else None


def _typo(reference: _PoolReference, position: int, records: list[Reference],
          rng: random.Random) -> tuple[str, int] | None:
    """A misspelt (name, year) that `resolve` still takes to `position`, or None."""
    name, year = reference.cited, reference.year
    if name.isupper():
        return None  # corporate authors are cited as written ("CDC 2005")
    if rng.random() < 0.5:
        year = _year_typo(year, rng) or year
    else:
        name = _name_variant(name, rng) or name
    if (name, year) == (reference.cited, reference.year):
        return None
    return (name, year) if _resolves_to(name, year, records) == position else None


def _citation(reference: _PoolReference, name: str, year: int, rng: random.Random
              ) -> tuple[str, str]:
    """(English, Spanish) text of one citation: "A 2010", "A & B 2010", "A et al. 2010"."""
    style = rng.random()
    if reference.second and style < 0.3:
        return f"{name} & {reference.second} {year}", f"{name} y {reference.second} {year}"
    text = f"{name} et al. {year}" if reference.several and style < 0.3 else f"{name} {year}"
    return text, text


def _citations(rng: random.Random, corpus: _Corpus, entry: _Entry) -> list[tuple[str, str]]:
    """Every reference cited once (a few twice), some with a typo, rarely one unresolvable."""
    records: list[Reference] | None = None
    written = []
    cited = [*entry.references, *rng.sample(entry.references, len(entry.references) // 8)]
    for reference in cited:
        name, year = reference.cited, reference.year
        if rng.random() < TYPO_RATE:
            records = records or _as_records(entry.references)
            position = entry.references.index(reference) + 1
            typo = _typo(reference, position, records, rng)
            if typo:
                (name, year), entry.typos = typo, entry.typos + 1
        written.append(_citation(reference, name, year, rng))
    if rng.random() < UNRESOLVABLE_RATE:
        missing = corpus.pool[_below(rng, len(corpus.pool))]
        records = records or _as_records(entry.references)
        if _resolves_to(missing.cited, missing.year, records) is None:
            written.append(_citation(missing, missing.cited, missing.year, rng))
            entry.unresolvable += 1
    entry.citations = len(written)
    rng.shuffle(written)
    return written


def _sentences(rng: random.Random, bank: Sequence[tuple[str, str]], length: int
               ) -> list[tuple[str, str]]:
    """Sentences of the bank in a shuffled order, repeated as needed, until the English ones
    reach `length` characters (at least three)."""
    order = list(bank)
    rng.shuffle(order)
    chosen: list[tuple[str, str]] = []
    while len(chosen) < 3 or length > 0:
        sentence = order[len(chosen) % len(order)]
        chosen.append(sentence)
        length -= len(sentence[0]) + 1
    return chosen


def _write_commentaries(rng: random.Random, corpus: _Corpus, entry: _Entry) -> None:
    """English and Spanish commentaries of 0.5-5 KB, sentence for sentence, citing alike."""
    citations = _citations(rng, corpus, entry)
    cited_length = sum(len(english) + 2 for english, _spanish in citations)
    bank = _PLANT_SENTENCES if corpus.skeleton.plants[entry.index] else _SENTENCES
    sentences = _sentences(rng, bank, _skewed(rng, 500, 5000, 1.5) - cited_length)
    count = len(sentences)
    groups: list[list[tuple[str, str]]] = [[] for _ in sentences]
    for citation in citations:
        groups[_below(rng, count)].append(citation)
    condition = _below(rng, len(_CONDITIONS))
    breaks = {0, *(rng.randrange(1, count) for _ in range(count // 3))}
    english = 1 if corpus.skeleton.untranslated[entry.index] else 0  # column of its text
    for language, column, name in (("en", english, entry.name), ("es", 1, entry.spanish)):
        paragraphs: list[list[str]] = []
        for number, (sentence, cited) in enumerate(zip(sentences, groups, strict=True)):
            text = sentence[column].format(n=name, c=_CONDITIONS[condition][column])
            if cited:
                text = f"{text[:-1]} ({', '.join(c[column] for c in cited)})."
            if number in breaks:
                paragraphs.append([])
            paragraphs[-1].append(text)
        entry.commentary[language] = "\n\n".join(" ".join(p) for p in paragraphs)


# --- the two forms -----------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _product_item(corpus: _Corpus, index: int) -> dict[str, object]:
    skeleton = corpus.skeleton
    return {
        "id": index + 1,
        "nombre_es": skeleton.spanish[index],
        "nombre_en": skeleton.names[index],
        "riesgo__nivel": skeleton.levels[index],
    }


def _export_document(corpus: _Corpus, entry: _Entry) -> dict[str, object]:
    """The `get_term` document of an entry (DESIGN.md §4)."""
    risk = RISK_LEVELS[entry.level]
    pharmacokinetics = dict(entry.pharmacokinetics)
    product: dict[str, object] = {
        **_product_item(corpus, entry.index),
        **{f"riesgo__nombre_{lang}": risk.compatibility_name[lang] for lang in ("es", "en")},
        **{f"riesgo__descripcion_{lang}": risk.description[lang] for lang in ("es", "en")},
        "comentario_es": entry.commentary["es"],
        "comentario_en": entry.commentary["en"],
        "fecha_creacion": _iso(entry.created),
        "fecha_modificacion": _iso(entry.updated),
        **{
            variable.source_field: pharmacokinetics.get(key, "")
            for key, variable in PK_VARIABLES.items()
            if key != "pka"  # not in the export
        },
    }
    return {
        "producto": product,
        "alternativas": [_product_item(corpus, other) for other in entry.alternatives],
        "grupo": [
            {"id": group + 1, "nombre_es": corpus.groups[group][1],
             "nombre_en": corpus.groups[group][0]}
            for group in entry.groups
        ],
        "biblio": [
            {"titulo": r.title, "autores": r.authors, "publicacion": r.publication,
             "anyo": r.year, "abstract_link": r.abstract_link, "full_text_link": r.full_text_link}
            for r in entry.references
        ],
        "marcas": [{"nombre": name} for name, _countries, _combination in entry.brands],
    }


def _page_date(rng: random.Random, moment: datetime) -> str:
    if rng.random() < 0.3:
        return f"Last update: {_FULL_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"
    colon = ":" if rng.random() < 0.5 else ""
    return f"Last update{colon} {_PAGE_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def _level_wording(rng: random.Random, level: int) -> str:
    """A name or a description of the level, current or former, as pages show them."""
    risk = RISK_LEVELS[level]
    wordings = (risk.description["en"], risk.description["en"], *risk.former_descriptions,
                risk.compatibility_name["en"], risk.risk_name["en"])
    return _pick(rng, wordings)


def _level_lines(rng: random.Random, level: int) -> list[str]:
    risk = RISK_LEVELS[level]
    style = rng.random()
    if style < 0.6:
        return [risk.compatibility_name["en"], "", risk.description["en"]]
    if style < 0.8:
        return [f"{risk.risk_name['en']} for breastfeeding"]
    return [_level_wording(rng, level)] if style < 0.9 else [risk.description["en"]]


def _bullets(items: Sequence[str]) -> list[str]:
    return [f"  • {item}" for item in items]


def _section(heading: str, items: Sequence[str], *more: str) -> list[str]:
    lines = [heading, ""]
    if more:
        lines += [*more, ""]
    return [*lines, *_bullets(items), ""] if items else []


def _mention_lines(rng: random.Random, corpus: _Corpus, entry: _Entry) -> list[str]:
    skeleton = corpus.skeleton

    def mentioned(index: int) -> str:
        return f"{skeleton.names[index]} ({_level_wording(rng, skeleton.levels[index])})"

    lines: list[str] = []
    if entry.related:
        these = "this related product" if len(entry.related) == 1 else "these related products"
        lines += _section(f"See below the information of {these}:",
                          [mentioned(i) for i in entry.related])
    if entry.alternatives:
        lines += _section("Alternatives", [mentioned(i) for i in entry.alternatives])
    elif entry.level == 0:
        lines += [f"We do not have alternatives for {entry.name} since it is relatively safe.", ""]
    return lines


def _name_lines(corpus: _Corpus, entry: _Entry) -> list[str]:
    name = entry.name
    groups = [corpus.groups[g][0] for g in entry.groups]
    which = "this group or family" if len(groups) == 1 else "these groups or families"
    brands = [
        f"{brand} ({', '.join(countries)})"
        + (f". Contains other elements than {name} in its composition" if combination else "")
        for brand, countries, combination in entry.brands
    ]
    lines = ["Other names", ""] if entry.aliases else []
    lines += _section(f"{name} is also known as", entry.aliases)
    lines += _section(f"{name} in other languages or writings:",
                      [f"{language}: {writing}" for language, writing in entry.writings])
    lines += _section(f"{name} belongs to {which}:", groups)
    lines += _section("Tradenames", brands,
                      f"Main tradenames from several countries containing {name} in its "
                      "composition:")
    return lines


def _table_lines(entry: _Entry) -> list[str]:
    if not entry.pharmacokinetics:
        return []
    rows = [
        f"{PK_VARIABLES[key].labels['en']}\t{raw}\t{PK_VARIABLES[key].shown_units[0]}"
        for key, raw in entry.pharmacokinetics
    ]
    return ["Pharmacokinetics", "", "Variable\tValue\tUnit", *rows, ""]


def _reference_lines(entry: _Entry) -> list[str]:
    lines = [
        f"  {number}. "
        + bibliography_line(r.authors, r.title, r.publication, r.year, r.abstract_link or None,
                            r.full_text_link or None)
        for number, r in enumerate(entry.references, start=1)
    ]
    return ["References", "", *lines, ""]


def _page(corpus: _Corpus, entry: _Entry) -> str:
    """The English entry page, in the seed's order of sections."""
    rng = random.Random(f"{corpus.seed}/page/{entry.index}")
    lines = [_page_date(rng, entry.updated), "", "", *_level_lines(rng, entry.level), ""]
    lines += [entry.commentary["en"], ""]
    lines += _mention_lines(rng, corpus, entry)
    lines += [line for text in _BOILERPLATE for line in (text, "")]
    lines += _name_lines(corpus, entry)
    lines += _table_lines(entry)
    lines += _reference_lines(entry)
    lines += ["Total visits", "", f"{rng.randrange(100, 400_000):,}", ""]
    lines += [line for text in _CLOSING for line in (text, "")]
    return "\n".join(lines)


# --- writing --------------------------------------------------------------------------------


@dataclass
class CorpusSummary:
    """What was written, counted as it was generated, for tests and benchmark reports.

    Citation counts are per commentary language: each entry's English and Spanish
    commentaries cite alike, so an export import sees twice the citations a page import sees.
    """

    products: int
    seed: int
    files: int = 0
    bytes: int = 0
    levels: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(4), 0))
    references: int = 0  # size of the shared pool
    citations: int = 0
    typo_citations: int = 0
    unresolvable_citations: int = 0
    combination_brands: int = 0


class _ExportWriter:
    """JSON Lines, a new part every RECORDS_PER_FILE documents."""

    def __init__(self, folder: Path, summary: CorpusSummary) -> None:
        self.folder = folder
        self.summary = summary
        self.handle: TextIO | None = None
        self.parts = 0
        self.written = 0

    def write(self, document: dict[str, object]) -> None:
        if self.handle is None or self.written == RECORDS_PER_FILE:
            self.close()
            self.parts += 1
            path = self.folder / f"part-{self.parts:04d}.jsonl"
            self.handle = path.open("w", encoding="utf-8", newline="\n")
            self.summary.files += 1
            self.written = 0
        line = json.dumps(document, ensure_ascii=False) + "\n"
        self.handle.write(line)
        self.summary.bytes += len(line.encode())
        self.written += 1

    def close(self) -> None:
        if self.handle:
            self.handle.close()
            self.handle = None


def _check_empty(path: Path) -> None:
    """Refuse a corpus folder that holds files: old files would mix two corpora."""
    if path.exists() and any(path.iterdir()):
        raise FileExistsError(f"{path} is not empty; write a corpus into an empty folder")


def _staging(path: Path) -> Path:
    """A hidden folder beside `path` to write its files into. It becomes `path` only once
    the whole corpus is written (`_publish`): an interrupted run leaves `path` as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))


def _publish(staged: dict[Path, Path]) -> None:
    for path, staging in staged.items():
        if path.exists():
            path.rmdir()  # empty: `_check_empty` said so
        staging.rename(path)


def write_corpus(products: int, seed: int, out_dir: Path,
                 forms: Sequence[str] = FORMS) -> CorpusSummary:
    """Write `products` made-up entries in the given forms ("json", "pages") under `out_dir`.

    The same arguments give byte-identical files. FileExistsError if `out_dir/export` or
    `out_dir/pages` already holds files. `out_dir/export` and `out_dir/pages` appear
    complete or not at all.
    """
    unknown = [form for form in forms if form not in FORMS]
    if unknown or products < 1:
        raise ValueError(f"expected products >= 1 and forms among {FORMS}, got {products}, {forms}")
    brand_space = products * 21 + 1
    corpus = _Corpus(
        seed=seed,
        skeleton=_skeleton(products, seed),
        groups=_groups(),
        pool=_reference_pool(max(50, products * REFERENCES_PER_PRODUCT), seed),
        combinations=_combinations(products, seed, brand_space),
        brand_space=brand_space,
    )
    summary = CorpusSummary(products, seed, references=len(corpus.pool),
                            combination_brands=products // 20)
    names = {"json": "export", "pages": "pages"}
    wanted = [out_dir / names[form] for form in FORMS if form in forms]
    for path in wanted:  # all checked before anything is written
        _check_empty(path)
    staged: dict[Path, Path] = {}
    try:
        for path in wanted:
            staged[path] = _staging(path)
        export = (_ExportWriter(staged[out_dir / "export"], summary)
                  if "json" in forms else None)
        pages = staged.get(out_dir / "pages")
        try:
            for index in range(products):
                entry = _entry(corpus, index)  # generated, written in both forms, dropped
                _count(summary, entry)
                if export:
                    export.write(_export_document(corpus, entry))
                if pages:
                    _write_page(pages / f"{slugify(entry.name)}.txt", _page(corpus, entry),
                                summary)
        finally:
            if export:
                export.close()
        _publish(staged)
    finally:
        for staging in staged.values():
            shutil.rmtree(staging, ignore_errors=True)  # gone once published
    return summary


def _count(summary: CorpusSummary, entry: _Entry) -> None:
    summary.levels[entry.level] += 1
    summary.citations += entry.citations
    summary.typo_citations += entry.typos
    summary.unresolvable_citations += entry.unresolvable


def _write_page(path: Path, text: str, summary: CorpusSummary) -> None:
    data = text.encode()
    path.write_bytes(data)
    summary.files += 1
    summary.bytes += len(data)
