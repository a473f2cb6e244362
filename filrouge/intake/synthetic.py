"""Deterministic synthetic SIEI lists (fictional people) for tests and the intake benchmark."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from filrouge.intake.columns import COLUMNS, normalize_header


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name.replace("_", " ") for name in text.split()))


FIRST_NAMES_F = _names("""
    Emma Jade Louise Alice Chloé Lina Léa Rose Anna Mila Inès Ambre Julia Mia Léna Manon Juliette
    Lou Zoé Camille Agathe Jeanne Lucie Eva Nina Sarah Romane Louna Inaya Charlotte Léonie Romy
    Margaux Clémence Capucine Lola Mathilde Victoire Adèle Iris Maëlys Elsa Zélie Alix Apolline
    Yasmine Salomé Héloïse Gabrielle Éléna Anaïs Clara Océane Marie Laura Emilie Justine Pauline
    Morgane Noémie Maëlle Nour Aya Maryam Fatoumata Aïcha Naël Soline Thaïs Lisa Kenza Assia Célia
    Marie-Lou Anne-Sophie Lou-Ann Cassandre Maïwenn Nolwenn Gwenaëlle Enora Solène Axelle Mélissa
    Shaïna Mélina Kiara Gaëlle Estelle Bérénice Coralie Typhaine Oriane Ilona Lilou Maya Naomi
""")
FIRST_NAMES_M = _names("""
    Gabriel Léo Raphaël Arthur Louis Jules Adam Maël Lucas Hugo Noah Liam Gabin Sacha Paul Nathan
    Aaron Mohamed Ethan Tom Éden Léon Noé Tiago Théo Isaac Marius Victor Martin Naël Mathis Axel
    Robin Timéo Enzo Marceau Valentin Nolan Antoine Samuel Baptiste Clément Maxime Alexandre Yanis
    Kylian Matteo Thomas Romain Quentin Kevin Dylan Florian Bastien Corentin Erwan Gwenaël Yann
    Loïc Killian Ewen Titouan Malo Elouan Mathéo Rayan Ilyes Ismaël Amine Bilal Moussa Mamadou
    Jean-Baptiste Pierre-Louis Jean-Marc Anthony Jordan Alexis Benjamin Damien Dorian Esteban
    Evan Félix Gaspard Hippolyte Jérémy Lenny Lorenzo Mehdi Noa Owen Rémi Sofiane Stéphane Wassim
""")
LAST_NAMES = _names("""
    Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèbvre
    Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent
    Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand
    Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson
    Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud
    Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy
    Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier
    Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Hoarau Grondin Fontaine Técher Boyer
    Rivière Morel Lebon Robert Nativel Turpin Dijoux Maillot Sautron Le_Gall Le_Goff Le_Roux
    Le_Bihan Le_Guen Le_Corre Guillou Tanguy Le_Floch Kerbrat Jaouen Quéré Prigent Le_Bris
    Rault Hamon Daniel Lebreton Pichon Gicquel Bouvier Chauvin Poirier Brunel Hubert Lemoine
    Santoni Leca Casanova Albertini Giacomoni Mattei Luciani Poli Pietri Colonna Ferrandi
    N'Diaye Diallo Traoré Camara Keita Diop Sow Ba Konaté Cissé Coulibaly Sylla Touré Fofana
    Benali Haddad Mansouri Belkacem Bouzid Cherif Hamidi Khelifi Amrani Saidi Ziani Rahmani
    Da_Silva Pereira Ferreira Rodrigues Dos_Santos Fernandes Gonçalves Lopes Marques Carvalho
    Nguyen Tran Pham Le Vo Hoang Dang Bui Ly Yilmaz Kaya Demir Öztürk Şahin Kowalski Nowak
    Rossi Bianchi Romano Esposito Ricci Conti De_Luca Gallo Lombardi Moretti Fabbri Ferrari
    Lefort Besnard Gilbert Riviere Langlois Charpentier Boucher Huet Carpentier Rolland Jacquet
    Collet Prévost Tessier Lecomte Marechal Germain Cordier Perret Bailly Hervé Barre Leblanc
    Delmas Aubry Jacob Royer Lebrun Lemaître Carré Baron Marty Charles Millet Bertin Guillot
""")

# (INSEE code, postal code, name) of real communes: Ille-et-Vilaine, Corsica, La Réunion.
COMMUNES: tuple[tuple[str, str, str], ...] = (
    ("35238", "35000", "Rennes"),
    ("35288", "35400", "Saint-Malo"),
    ("35360", "35500", "Vitré"),
    ("35115", "35300", "Fougères"),
    ("35047", "35170", "Bruz"),
    ("35051", "35510", "Cesson-Sévigné"),
    ("35236", "35600", "Redon"),
    ("35281", "35136", "Saint-Jacques-de-la-Lande"),
    ("35024", "35830", "Betton"),
    ("35093", "35800", "Dinard"),
    ("35085", "35270", "Combourg"),
    ("2A004", "20000", "Ajaccio"),
    ("2A247", "20137", "Porto-Vecchio"),
    ("2B033", "20200", "Bastia"),
    ("2B096", "20250", "Corte"),
    ("97411", "97400", "Saint-Denis"),
    ("97415", "97460", "Saint-Paul"),
    ("97416", "97410", "Saint-Pierre"),
    ("97422", "97430", "Le Tampon"),
    ("97407", "97420", "Le Port"),
)
STREETS = _names("""
    rue_de_la_République avenue_Jean_Jaurès rue_Victor_Hugo boulevard_de_la_Liberté rue_de_Brest
    allée_des_Tilleuls chemin_des_Vignes rue_du_Général_de_Gaulle place_de_la_Mairie rue_Pasteur
    impasse_des_Lilas rue_des_Écoles cours_Napoléon chemin_Ligne_Paradis rue_de_Paris
""")
SCHOOLS = _names("""
    Lycée_professionnel_Jean_Jaurès Lycée_Victor_et_Hélène_Basch Lycée_professionnel_Coëtlogon
    Lycée_Chateaubriand Lycée_professionnel_Jean_Guéhenno Lycée_Laetitia_Bonaparte
    Lycée_professionnel_Jules_Antonini Lycée_Leconte_de_Lisle Lycée_professionnel_Vue_Belle
    CFA_du_Bâtiment CFA_de_la_Chambre_de_métiers Collège_Anne_de_Bretagne
""")
TRAININGS: tuple[tuple[str, str], ...] = (
    ("CAP Cuisine", "CAP"),
    ("CAP Électricien", "CAP"),
    ("CAP Coiffure", "CAP"),
    ("Bac pro Commerce", "Bac pro"),
    ("Bac pro Métiers de la relation client", "Bac pro"),
    ("Bac pro Maintenance des véhicules", "Bac pro"),
    ("Seconde générale et technologique", "Seconde"),
    ("Première STMG", "Première"),
    ("Terminale générale", "Terminale"),
    ("Troisième", "3e"),
)
_UAI_PREFIXES = {"35": "035", "2A": "620", "2B": "720", "97": "974"}
_UAI_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_EMAIL_DOMAINS = ("exemple.fr", "exemple.org", "messagerie.exemple.fr")
FAULTS = (
    "bad_date",
    "two_digit_year",
    "under_16",
    "missing_last_name",
    "missing_first_name",
    "bad_ine",
    "future_birth",
    "missing_location",
    "bad_phone",
    "bad_email",
    "leaving_before_birth",
)


@dataclass(frozen=True)
class PlannedCounts:
    """How many faulty and duplicate rows a synthetic list of this size holds."""

    rows: int
    faulty: int
    duplicates: int

    @property
    def valid_unique(self) -> int:
        """Rows that should become cases."""
        return self.rows - self.faulty - self.duplicates


def planned_counts(n_rows: int, faulty_ratio: float, duplicate_ratio: float) -> PlannedCounts:
    """Exact numbers of faulty and duplicate rows generate_list puts in a list."""
    faulty = min(round(n_rows * faulty_ratio), n_rows)
    duplicates = min(round(n_rows * duplicate_ratio), max(n_rows - faulty - 1, 0))
    return PlannedCounts(n_rows, faulty, duplicates)


def generate_list(
    n_rows: int,
    seed: int,
    faulty_ratio: float = 0.05,
    duplicate_ratio: float = 0.05,
    *,
    identified_on: date | None = None,
) -> bytes:
    """A synthetic list as CSV bytes (`;`, UTF-8 with BOM); same seed and date, same bytes."""
    rng = random.Random(seed)
    day = identified_on or date.today()
    counts = planned_counts(n_rows, faulty_ratio, duplicate_ratio)
    generator = _Generator(rng, day)
    rows = [generator.row(kind) for kind in _kinds(rng, counts)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.label for column in COLUMNS])
    writer.writerows([row.get(column.field, "") for column in COLUMNS] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _kinds(rng: random.Random, counts: PlannedCounts) -> list[str]:
    kinds = ["valid"] * counts.valid_unique + ["faulty"] * counts.faulty
    kinds += ["duplicate"] * counts.duplicates
    rng.shuffle(kinds)
    if "duplicate" in kinds:  # a duplicate needs an earlier valid row to copy
        first_valid, first_duplicate = kinds.index("valid"), kinds.index("duplicate")
        if first_duplicate < first_valid:
            kinds[first_duplicate], kinds[first_valid] = "valid", "duplicate"
    return kinds


class _Generator:
    """Builds fictional rows, keeping INEs unique and remembering rows to duplicate."""

    def __init__(self, rng: random.Random, identified_on: date) -> None:
        self.rng = rng
        self.identified_on = identified_on
        self.ines: set[str] = set()
        self.with_ine: list[dict[str, str]] = []

    def row(self, kind: str) -> dict[str, str]:
        if kind == "duplicate":
            return dict(self.rng.choice(self.with_ine))
        person = self.person(
            with_ine=kind == "faulty" or not self.with_ine or self.rng.random() > 0.02
        )
        if kind == "faulty":
            return self.spoil(person, self.rng.choice(FAULTS))
        if person["ine"]:
            self.with_ine.append(person)
        return person

    def person(self, with_ine: bool) -> dict[str, str]:
        rng = self.rng
        sex = rng.choice("FM")
        first = rng.choice(FIRST_NAMES_F if sex == "F" else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        birth = self.identified_on - timedelta(days=rng.randint(16 * 366, 21 * 365))
        insee, postal_code, commune = rng.choice(COMMUNES)
        training, level = rng.choice(TRAININGS)
        row = {
            "ine": self.ine() if with_ine else "",
            "last_name": last.upper() if rng.random() < 0.3 else last,
            "first_name": first,
            "sex": sex,
            "birth_date": self.date_text(birth),
            "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            "postal_code": postal_code,
            "commune_name": commune,
            "commune_insee": insee,
            "phone": self.phone(insee),
            "email": self.email(first, last) if rng.random() < 0.7 else "",
            "school_uai": self.uai(insee),
            "school_name": rng.choice(SCHOOLS),
            "last_training": training,
            "level": level,
            "leaving_date": self.date_text(self.identified_on - timedelta(rng.randint(15, 330))),
        }
        if (self.identified_on - birth).days < 18 * 365:
            row["guardian_name"] = f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {last}"
            row["guardian_phone"] = self.phone(insee)
        return row

    def spoil(self, row: dict[str, str], fault: str) -> dict[str, str]:
        day = self.identified_on
        spoiled = {
            "bad_date": {"birth_date": "31/02/2006"},
            "two_digit_year": {"birth_date": "14/03/07"},
            "under_16": {"birth_date": self.date_text(day - timedelta(days=15 * 365))},
            "missing_last_name": {"last_name": ""},
            "missing_first_name": {"first_name": ""},
            "bad_ine": {"ine": "12345ABC"},
            "future_birth": {"birth_date": self.date_text(day + timedelta(days=30))},
            "missing_location": {"postal_code": "", "commune_insee": ""},
            "bad_phone": {"phone": "06 12 34"},
            "bad_email": {"email": "prenom.nom@@exemple"},
            "leaving_before_birth": {"leaving_date": "01/01/1990"},
        }
        return row | spoiled[fault]

    def ine(self) -> str:
        while True:
            if self.rng.random() < 0.8:
                ine = f"{self.rng.randrange(10**10):010d}{self.rng.choice(_UAI_KEYS)}"
            else:
                letters = "".join(self.rng.choices(_UAI_KEYS, k=2))
                ine = f"{self.rng.randrange(10**9):09d}{letters}"
            if ine not in self.ines:
                self.ines.add(ine)
                return ine

    def uai(self, insee: str) -> str:
        digits = _UAI_PREFIXES[insee[:2]] + f"{self.rng.randrange(10**4):04d}"
        return digits + _UAI_KEYS[int(digits) % 23]

    def phone(self, insee: str) -> str:
        rng = self.rng
        if insee.startswith("97"):
            number = rng.choice(("0692", "0693")) + f"{rng.randrange(10**6):06d}"
        else:
            number = rng.choice(("06", "07")) + f"{rng.randrange(10**8):08d}"
        style = rng.random()
        if style < 0.5:
            return " ".join(number[i : i + 2] for i in range(0, 10, 2))
        return number if style < 0.9 else "+33 " + number[1:]

    def email(self, first: str, last: str) -> str:
        local = f"{normalize_header(first)}.{normalize_header(last)}{self.rng.randint(1, 99)}"
        return f"{local}@{self.rng.choice(_EMAIL_DOMAINS)}"

    def date_text(self, day: date) -> str:
        return day.isoformat() if self.rng.random() < 0.15 else day.strftime("%d/%m/%Y")
