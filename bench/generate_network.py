#!/usr/bin/env python3
"""Synthetic Kommon network: tiers-lieux, residents, residencies, events, a skills thesaurus.

Writes plain N-Quads where every document is a named graph whose name is the document URL
(one named graph per document, as the Kommon store keeps them). Deterministic for a given
--seed and --scale (same CPython minor version). Streams its output: memory stays small.

    python3 bench/generate_network.py --scale quick --seed 42 bench-data/network-quick-seed42.nq

Scales: full = 3,500 places, 150,000 residents, 500,000 events (~10 M quads, ~1.9 GB);
        quick = a tenth (350 places, 15,000 residents, 50,000 events, ~1 M quads).

Also writes FILE.meta.json (counts, sizes, the fixed constants the query mix relies on).
The constants in CONSTANTS below exist at every scale and every seed.
"""

import argparse
import bisect
import datetime as dt
import json
import math
import os
import random
import sys
import time
import unicodedata

GENERATOR_VERSION = 1

SCALES = {
    "full": dict(places=3_500, residents=150_000, events=500_000, cod_hosts=350, pod_hosts=1_000),
    "quick": dict(places=350, residents=15_000, events=50_000, cod_hosts=35, pod_hosts=100),
}

# Constants the queries in bench/queries/ rely on; guaranteed at every scale and seed.
CONSTANTS = {
    "place": "https://cod1.example/le-6b",
    "place_name": "Le 6b",
    "resident": "https://pod1.example/camille-martin",
    "resident_name": "Camille Martin",
    "resident_skills": [
        "https://w3id.org/kommon/skills/menuiserie",
        "https://w3id.org/kommon/skills/ceramique",
        "https://w3id.org/kommon/skills/mediation-numerique",
    ],
    "skill_scheme": "https://w3id.org/kommon/skills",
    "top_skill": "https://w3id.org/kommon/skills/artisanat",
    "text_word": "jardin",
    "events_window": ["2026-06-01T00:00:00+02:00", "2026-07-01T00:00:00+02:00"],
    "events_box": {"lat": [48.83, 49.03], "long": [2.20, 2.50]},
}

# --- vocabularies ------------------------------------------------------------------------------

PAIR = "http://virtual-assembly.org/ontologies/pair#"
SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
AS = "https://www.w3.org/ns/activitystreams#"
KOMMON = "https://w3id.org/kommon/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKILLS = "https://w3id.org/kommon/skills"

A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def _iri(ns, local):
    return f"<{ns}{local}>"


T_DOUBLE = f"^^<{XSD}double>"
T_DATE = f"^^<{XSD}date>"
T_DATETIME = f"^^<{XSD}dateTime>"
T_BOOLEAN = f"^^<{XSD}boolean>"
T_INTEGER = f"^^<{XSD}integer>"

# --- the skills thesaurus: 10 top concepts x 4 mid x 5 leaves = 250 concepts ------------------
# (label fr, label en, altLabel fr or None, children)

TAXONOMY = [
    ("Artisanat", "Crafts", "Métiers d'art", [
        ("Travail du bois", "Woodworking", None, [
            ("Menuiserie", "Joinery", "Menuiserie d'agencement"), ("Ébénisterie", "Cabinetmaking", None),
            ("Charpente", "Carpentry", None), ("Tournage sur bois", "Wood turning", None),
            ("Marqueterie", "Marquetry", None)]),
        ("Arts du feu", "Fire arts", None, [
            ("Céramique", "Ceramics", "Poterie d'art"), ("Poterie", "Pottery", "Tournage céramique"),
            ("Émaillage", "Enamelling", None), ("Soufflage de verre", "Glassblowing", None),
            ("Vitrail", "Stained glass", None)]),
        ("Artisanat textile", "Textile crafts", None, [
            ("Couture", "Sewing", None), ("Tricot", "Knitting", None), ("Tissage", "Weaving", None),
            ("Broderie", "Embroidery", None), ("Teinture végétale", "Natural dyeing", None)]),
        ("Métal et cuir", "Metal and leather", None, [
            ("Soudure", "Welding", None), ("Ferronnerie", "Ironwork", None), ("Forge", "Blacksmithing", None),
            ("Bijouterie", "Jewellery making", None), ("Maroquinerie", "Leatherwork", None)]),
    ]),
    ("Numérique", "Digital", None, [
        ("Médiation numérique", "Digital inclusion", "Inclusion numérique", [
            ("Accompagnement aux démarches en ligne", "Online paperwork support", None),
            ("Initiation à l'informatique", "Computer basics", None),
            ("Usage du smartphone", "Smartphone skills", None),
            ("Éducation aux médias", "Media literacy", None),
            ("Animation d'espace public numérique", "Public digital space facilitation", "EPN")]),
        ("Développement logiciel", "Software development", None, [
            ("Développement web", "Web development", None), ("Programmation Python", "Python programming", None),
            ("Programmation Rust", "Rust programming", None), ("Bases de données", "Databases", None),
            ("Logiciels libres", "Free software", "Libre")]),
        ("Fabrication numérique", "Digital fabrication", "Fablab", [
            ("Impression 3D", "3D printing", None), ("Découpe laser", "Laser cutting", None),
            ("Fraisage numérique", "CNC milling", "CNC"), ("Électronique", "Electronics", None),
            ("Arduino et microcontrôleurs", "Arduino and microcontrollers", None)]),
        ("Infrastructure informatique", "IT infrastructure", None, [
            ("Administration système", "System administration", "Sysadmin"), ("Réseaux", "Networking", None),
            ("Réparation d'ordinateurs", "Computer repair", None), ("Auto-hébergement", "Self-hosting", None),
            ("Cybersécurité", "Cybersecurity", None)]),
    ]),
    ("Agriculture et alimentation", "Farming and food", None, [
        ("Jardinage", "Gardening", None, [
            ("Maraîchage", "Market gardening", None), ("Permaculture", "Permaculture", None),
            ("Compostage", "Composting", None), ("Semences paysannes", "Seed saving", None),
            ("Arboriculture", "Fruit growing", None)]),
        ("Élevage", "Animal husbandry", None, [
            ("Apiculture", "Beekeeping", None), ("Aviculture", "Poultry farming", None),
            ("Élevage caprin", "Goat farming", None), ("Écopâturage", "Eco-grazing", None),
            ("Soins aux animaux", "Animal care", None)]),
        ("Cuisine", "Cooking", None, [
            ("Cuisine collective", "Community cooking", None), ("Boulangerie", "Baking", "Pain au levain"),
            ("Conserverie", "Food preserving", None), ("Fermentation", "Fermentation", "Lacto-fermentation"),
            ("Pâtisserie", "Pastry", None)]),
        ("Circuits courts", "Short supply chains", None, [
            ("AMAP", "Community-supported agriculture", "Association pour le maintien d'une agriculture paysanne"),
            ("Épicerie solidaire", "Solidarity grocery", None), ("Vente directe", "Direct sales", None),
            ("Logistique alimentaire", "Food logistics", None), ("Glanage", "Gleaning", None)]),
    ]),
    ("Bâtiment", "Building", None, [
        ("Écoconstruction", "Eco-building", None, [
            ("Construction en paille", "Straw bale building", None), ("Terre crue", "Earth building", "Pisé"),
            ("Enduits à la chaux", "Lime plastering", None), ("Isolation biosourcée", "Bio-based insulation", None),
            ("Ossature bois", "Timber framing", None)]),
        ("Second œuvre", "Finishing trades", None, [
            ("Plomberie", "Plumbing", None), ("Électricité du bâtiment", "Building electrics", None),
            ("Peinture en bâtiment", "House painting", None), ("Carrelage", "Tiling", None),
            ("Plâtrerie", "Plastering", None)]),
        ("Rénovation", "Renovation", None, [
            ("Rénovation énergétique", "Energy retrofit", None), ("Diagnostic thermique", "Thermal assessment", None),
            ("Auto-réhabilitation", "Self-renovation", None), ("Réemploi de matériaux", "Building material reuse", None),
            ("Maçonnerie", "Masonry", None)]),
        ("Architecture et aménagement", "Architecture and planning", None, [
            ("Architecture", "Architecture", None), ("Design d'espace", "Interior design", None),
            ("Urbanisme tactique", "Tactical urbanism", None), ("Paysagisme", "Landscaping", None),
            ("Mobilier urbain", "Street furniture", None)]),
    ]),
    ("Arts et culture", "Arts and culture", None, [
        ("Arts visuels", "Visual arts", None, [
            ("Peinture", "Painting", None), ("Illustration", "Illustration", None),
            ("Photographie", "Photography", None), ("Sérigraphie", "Screen printing", None),
            ("Gravure", "Printmaking", None)]),
        ("Spectacle vivant", "Performing arts", None, [
            ("Théâtre", "Theatre", None), ("Danse", "Dance", None), ("Arts du cirque", "Circus arts", None),
            ("Conte", "Storytelling", None), ("Marionnettes", "Puppetry", None)]),
        ("Musique", "Music", None, [
            ("Chant choral", "Choir singing", None), ("Percussions", "Percussion", None),
            ("Musique assistée par ordinateur", "Computer music", "MAO"), ("Lutherie", "Instrument making", None),
            ("Sonorisation", "Sound engineering", None)]),
        ("Audiovisuel", "Audiovisual", None, [
            ("Vidéo", "Video", None), ("Montage vidéo", "Video editing", None),
            ("Radio associative", "Community radio", None), ("Podcast", "Podcasting", None),
            ("Éclairage scénique", "Stage lighting", None)]),
    ]),
    ("Solidarité", "Solidarity", "Action sociale", [
        ("Accompagnement social", "Social support", None, [
            ("Écoute active", "Active listening", None), ("Aide administrative", "Administrative help", None),
            ("Accueil du public", "Public reception", None), ("Médiation sociale", "Social mediation", None),
            ("Accompagnement vers l'emploi", "Employment support", None)]),
        ("Éducation populaire", "Popular education", None, [
            ("Animation jeunesse", "Youth work", None), ("Soutien scolaire", "Tutoring", None),
            ("Alphabétisation", "Adult literacy", None),
            ("Français langue étrangère", "French as a foreign language", "FLE"),
            ("Ateliers parentalité", "Parenting workshops", None)]),
        ("Santé et prévention", "Health and prevention", None, [
            ("Premiers secours", "First aid", "PSC1"), ("Aide à domicile", "Home care", None),
            ("Prévention santé", "Health promotion", None), ("Réduction des risques", "Harm reduction", None),
            ("Pair-aidance", "Peer support", None)]),
        ("Interculturalité", "Interculturality", None, [
            ("Interprétariat", "Interpreting", None), ("Traduction", "Translation", None),
            ("Accueil des personnes exilées", "Refugee welcome", None), ("Langue des signes", "Sign language", "LSF"),
            ("Cuisine du monde", "World cuisine", None)]),
    ]),
    ("Économie et gestion", "Economy and management", None, [
        ("Gestion associative", "Non-profit management", None, [
            ("Comptabilité", "Accounting", None), ("Recherche de financements", "Fundraising", None),
            ("Gestion de projet", "Project management", None), ("Ressources humaines", "Human resources", None),
            ("Droit associatif", "Non-profit law", None)]),
        ("Entrepreneuriat", "Entrepreneurship", None, [
            ("Création d'entreprise", "Business creation", None), ("Coopératives", "Cooperatives", "SCOP et SCIC"),
            ("Modèle économique", "Business model", None), ("Marketing", "Marketing", None),
            ("Commerce", "Retail", None)]),
        ("Gouvernance", "Governance", None, [
            ("Facilitation", "Facilitation", None), ("Sociocratie", "Sociocracy", None),
            ("Gestion des conflits", "Conflict resolution", None),
            ("Intelligence collective", "Collective intelligence", None),
            ("Animation de réunion", "Meeting facilitation", None)]),
        ("Communication", "Communication", None, [
            ("Graphisme", "Graphic design", None), ("Rédaction", "Writing", None),
            ("Réseaux sociaux", "Social media", None), ("Relations presse", "Press relations", None),
            ("Événementiel", "Event management", None)]),
    ]),
    ("Réparation et réemploi", "Repair and reuse", None, [
        ("Réparation", "Repair", "Repair café", [
            ("Réparation de vélos", "Bicycle repair", None), ("Réparation d'électroménager", "Appliance repair", None),
            ("Réparation électronique", "Electronics repair", None), ("Retouche", "Clothing alterations", None),
            ("Restauration de meubles", "Furniture restoration", None)]),
        ("Réemploi", "Reuse", None, [
            ("Recyclerie", "Recycling centre", "Ressourcerie"), ("Surcyclage", "Upcycling", "Upcycling"),
            ("Tri des déchets", "Waste sorting", None), ("Collecte d'objets", "Item collection", None),
            ("Zéro déchet", "Zero waste", None)]),
        ("Mobilité", "Mobility", None, [
            ("Mécanique vélo", "Bicycle mechanics", None), ("Vélo cargo", "Cargo bikes", None),
            ("Autopartage", "Car sharing", None), ("Mécanique automobile", "Car mechanics", None),
            ("Covoiturage", "Carpooling", None)]),
        ("Énergie", "Energy", None, [
            ("Photovoltaïque", "Solar PV", None), ("Petit éolien", "Small wind", None),
            ("Bois énergie", "Wood energy", None), ("Sobriété énergétique", "Energy sufficiency", None),
            ("Énergie citoyenne", "Community energy", None)]),
    ]),
    ("Environnement", "Environment", None, [
        ("Biodiversité", "Biodiversity", None, [
            ("Inventaire naturaliste", "Wildlife survey", None), ("Ornithologie", "Ornithology", None),
            ("Botanique", "Botany", None), ("Gestion des espaces naturels", "Nature reserve management", None),
            ("Restauration écologique", "Ecological restoration", None)]),
        ("Eau", "Water", None, [
            ("Phytoépuration", "Reed bed filtration", None),
            ("Récupération d'eau de pluie", "Rainwater harvesting", None),
            ("Toilettes sèches", "Dry toilets", None), ("Gestion des rivières", "River management", None),
            ("Hydrologie", "Hydrology", None)]),
        ("Forêt", "Forestry", None, [
            ("Sylviculture", "Silviculture", None), ("Bûcheronnage", "Logging", None),
            ("Élagage", "Tree pruning", None), ("Gestion forestière", "Forest management", None),
            ("Cueillette sauvage", "Foraging", None)]),
        ("Éducation à l'environnement", "Environmental education", None, [
            ("Sensibilisation au climat", "Climate awareness", "Fresque du climat"),
            ("Sorties nature", "Nature walks", None), ("Jardin pédagogique", "Educational garden", None),
            ("Animation nature", "Nature activities", None), ("Sciences participatives", "Citizen science", None)]),
    ]),
    ("Bien-être et sport", "Wellbeing and sport", None, [
        ("Activités physiques", "Physical activities", None, [
            ("Randonnée", "Hiking", None), ("Escalade", "Climbing", None), ("Course à pied", "Running", None),
            ("Cyclisme", "Cycling", None), ("Sports collectifs", "Team sports", None)]),
        ("Pratiques douces", "Gentle practices", None, [
            ("Yoga", "Yoga", None), ("Qi gong", "Qigong", None), ("Méditation", "Meditation", None),
            ("Sophrologie", "Sophrology", None), ("Tai-chi", "Tai chi", None)]),
        ("Plantes et soins", "Plants and care", None, [
            ("Herboristerie", "Herbalism", None), ("Aromathérapie", "Aromatherapy", None),
            ("Cosmétique naturelle", "Natural cosmetics", None), ("Massage", "Massage", None),
            ("Naturopathie", "Naturopathy", None)]),
        ("Sport adapté", "Adapted sport", None, [
            ("Handisport", "Disability sport", None), ("Sport santé", "Health sport", None),
            ("Gym douce", "Gentle gym", None), ("Activités seniors", "Senior activities", None),
            ("Psychomotricité", "Psychomotor skills", None)]),
    ]),
]

# (name, INSEE code, postcode, lat, long, weight, spread in degrees)
COMMUNES = [
    ("Paris", "75056", "75011", 48.8566, 2.3522, 40, 0.035),
    ("Saint-Denis", "93066", "93200", 48.9362, 2.3574, 6, 0.012),
    ("Montreuil", "93048", "93100", 48.8638, 2.4485, 5, 0.012),
    ("Pantin", "93055", "93500", 48.8944, 2.4094, 3, 0.010),
    ("Aubervilliers", "93001", "93300", 48.9146, 2.3821, 3, 0.010),
    ("Vitry-sur-Seine", "94081", "94400", 48.7875, 2.3928, 2, 0.012),
    ("Nanterre", "92050", "92000", 48.8924, 2.2071, 2, 0.012),
    ("Marseille", "13055", "13001", 43.2965, 5.3698, 18, 0.05),
    ("Lyon", "69123", "69001", 45.7640, 4.8357, 18, 0.035),
    ("Villeurbanne", "69266", "69100", 45.7667, 4.8800, 4, 0.012),
    ("Toulouse", "31555", "31000", 43.6047, 1.4442, 14, 0.04),
    ("Nice", "06088", "06000", 43.7102, 7.2620, 6, 0.03),
    ("Nantes", "44109", "44000", 47.2184, -1.5536, 14, 0.04),
    ("Rezé", "44143", "44400", 47.1833, -1.5500, 2, 0.01),
    ("Montpellier", "34172", "34000", 43.6108, 3.8767, 10, 0.035),
    ("Strasbourg", "67482", "67000", 48.5734, 7.7521, 10, 0.035),
    ("Bordeaux", "33063", "33000", 44.8378, -0.5792, 12, 0.04),
    ("Bègles", "33039", "33130", 44.8086, -0.5478, 2, 0.01),
    ("Lille", "59350", "59000", 50.6292, 3.0573, 12, 0.035),
    ("Roubaix", "59512", "59100", 50.6942, 3.1746, 4, 0.012),
    ("Rennes", "35238", "35000", 48.1173, -1.6778, 12, 0.035),
    ("Reims", "51454", "51100", 49.2583, 4.0317, 4, 0.02),
    ("Le Havre", "76351", "76600", 49.4944, 0.1079, 4, 0.02),
    ("Saint-Étienne", "42218", "42000", 45.4397, 4.3872, 5, 0.02),
    ("Toulon", "83137", "83000", 43.1242, 5.9280, 3, 0.02),
    ("Grenoble", "38185", "38000", 45.1885, 5.7245, 10, 0.03),
    ("Dijon", "21231", "21000", 47.3220, 5.0415, 5, 0.02),
    ("Angers", "49007", "49000", 47.4784, -0.5632, 5, 0.02),
    ("Nîmes", "30189", "30000", 43.8367, 4.3601, 3, 0.02),
    ("Clermont-Ferrand", "63113", "63000", 45.7772, 3.0870, 6, 0.025),
    ("Le Mans", "72181", "72000", 48.0061, 0.1996, 3, 0.02),
    ("Aix-en-Provence", "13001", "13100", 43.5297, 5.4474, 4, 0.02),
    ("Brest", "29019", "29200", 48.3904, -4.4861, 4, 0.02),
    ("Tours", "37261", "37000", 47.3941, 0.6848, 5, 0.02),
    ("Amiens", "80021", "80000", 49.8941, 2.2958, 3, 0.02),
    ("Limoges", "87085", "87000", 45.8336, 1.2611, 3, 0.02),
    ("Annecy", "74010", "74000", 45.8992, 6.1294, 3, 0.02),
    ("Perpignan", "66136", "66000", 42.6887, 2.8948, 3, 0.02),
    ("Metz", "57463", "57000", 49.1193, 6.1757, 3, 0.02),
    ("Besançon", "25056", "25000", 47.2378, 6.0241, 4, 0.02),
    ("Orléans", "45234", "45000", 47.9030, 1.9093, 3, 0.02),
    ("Rouen", "76540", "76000", 49.4432, 1.0999, 5, 0.02),
    ("Caen", "14118", "14000", 49.1829, -0.3707, 4, 0.02),
    ("Nancy", "54395", "54000", 48.6921, 6.1844, 4, 0.02),
    ("Poitiers", "86194", "86000", 46.5802, 0.3404, 4, 0.02),
    ("La Rochelle", "17300", "17000", 46.1603, -1.1511, 3, 0.02),
    ("Pau", "64445", "64000", 43.2951, -0.3708, 2, 0.015),
    ("Bayonne", "64102", "64100", 43.4929, -1.4748, 2, 0.015),
    ("Lorient", "56121", "56100", 47.7483, -3.3700, 2, 0.015),
    ("Quimper", "29232", "29000", 47.9960, -4.1024, 2, 0.015),
    ("Valence", "26362", "26000", 44.9334, 4.8924, 2, 0.015),
    ("Chambéry", "73065", "73000", 45.5646, 5.9178, 2, 0.015),
    ("Avignon", "84007", "84000", 43.9493, 4.8055, 2, 0.015),
    ("Troyes", "10387", "10000", 48.2973, 4.0744, 2, 0.015),
    ("Bourges", "18033", "18000", 47.0810, 2.3988, 2, 0.015),
    ("Périgueux", "24322", "24000", 45.1847, 0.7214, 1, 0.01),
    ("Albi", "81004", "81000", 43.9289, 2.1464, 1, 0.01),
    ("Aurillac", "15014", "15000", 44.9264, 2.4397, 1, 0.01),
    ("Guéret", "23096", "23000", 46.1710, 1.8713, 1, 0.01),
    ("Figeac", "46102", "46100", 44.6086, 2.0317, 1, 0.01),
    ("Die", "26113", "26150", 44.7536, 5.3703, 1, 0.01),
    ("Forcalquier", "04088", "04300", 43.9597, 5.7803, 1, 0.01),
    ("Tulle", "19272", "19000", 45.2670, 1.7710, 1, 0.01),
    ("Mende", "48095", "48000", 44.5181, 3.5006, 1, 0.01),
    ("Foix", "09122", "09000", 42.9653, 1.6070, 1, 0.01),
    ("Alençon", "61001", "61000", 48.4329, 0.0913, 1, 0.01),
    ("Lannion", "22113", "22300", 48.7326, -3.4566, 1, 0.01),
    ("Bar-le-Duc", "55029", "55000", 48.7727, 5.1604, 1, 0.01),
    ("Ajaccio", "2A004", "20000", 41.9192, 8.7386, 1, 0.01),
    ("Bastia", "2B033", "20200", 42.6977, 9.4508, 1, 0.01),
    ("Saint-Affrique", "12208", "12400", 43.9587, 2.8867, 1, 0.01),
    ("Crest", "26108", "26400", 44.7283, 5.0222, 1, 0.01),
    ("Correns", "83044", "83570", 43.4876, 6.0786, 1, 0.01),
]

FIRST_NAMES = """Camille Dominique Claude Alex Sacha Charlie Lou Maël Noa Eden Louise Jade Emma Alice Chloé
Léa Manon Inès Lina Zoé Rose Anna Juliette Mila Sarah Clara Lucie Margaux Pauline Julie Nora Yasmine
Fatou Aïcha Mélissa Océane Élise Agathe Salomé Nina Léna Gabriel Léo Raphaël Arthur Louis Jules Adam
Hugo Lucas Nathan Tom Paul Noé Sacha Théo Malik Karim Youssef Mamadou Moussa Ibrahim Samuel Antoine
Baptiste Julien Nicolas Thomas Maxime Clément Mathieu Pierre Vincent François Olivier Bernard Michel
Thierry Patrick Sylvie Nathalie Isabelle Catherine Sophie Valérie Christine Martine Françoise Brigitte
Monique Anne Marie Hélène Yann Gwenaël Erwan Soizic Maïwenn Amandine Céline Aurélie Émilie Laure
Mathilde Bérénice Gaspard Achille Basile Victor Armand Hortense Capucine Solène Anouk Lison""".split()

LAST_NAMES = """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre
Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert
Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas
Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard
Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger Roche Roy Noël Meyer Lucas Meunier Jean Perez
Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre
Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard
Philippe Leclercq Lacroix Fabre Dupuis Olivier Rodriguez Da-Silva Hubert Louis Charles Guillot
Rivière Le-Gall Guillaume Adam Rey Moulin Gonzalez Berger Lecomte Menard Fleury Deschamps Carpentier
Julien Benoit Paris Maillard Marchal Aubry Vasseur Le-Roux Renault Jacquet Collet Prévost Poirier
Charpentier Royer Huet Baron Dupuy Pons Paul Laine Carré Breton Rémy Schneider Perrot Guyot Barre
Marty Cousin Diallo Traoré Benali Haddad Mansouri Kone Camara Dujardin Desjardins Boulanger Fabre
Lebreton Kerjean Le-Bihan Tanguy Morvan""".split()

PLACE_BASES = [
    "La Fabrique", "Le Tiers-Lieu", "L'Atelier partagé", "La Ruche", "Le Hangar", "La Grange", "La Cantine",
    "La Coopérative", "Le Garage", "La Friche", "La Manufacture", "La Maison des Communs", "Le Bocal",
    "La Recyclerie", "Le Fablab", "La Ferme", "Le Moulin", "La Halle", "L'Usine", "La Base", "Le Quai",
    "La Serre", "La Cordée", "Les Ateliers", "La Mine", "La Verrière", "Le Chantier", "La Station",
    "Le Relais", "La Tannerie", "La Filature", "Le Local", "La Maison du Vélo", "Le Repaire", "La Forge",
]
PLACE_QUALIFIERS = [
    "du Canal", "des Possibles", "solidaire", "numérique", "des Savoirs", "des Communs", "de la Gare",
    "du Port", "des Tanneurs", "du Marché", "des Coteaux", "du Lavoir", "des Lilas", "du Vieux Pont",
    "de l'Écluse", "des Faubourgs", "du Plateau", "des Colibris", "des Halles", "du Parc", "citoyenne",
    "des Remparts", "du Fort", "de la Source", "des Alouettes",
]
STREET_TYPES = ["rue", "rue", "rue", "avenue", "boulevard", "chemin", "place", "impasse", "quai", "allée"]
STREET_NAMES = [
    "de la République", "Jean Jaurès", "Victor Hugo", "des Écoles", "du Moulin", "de la Gare", "Pasteur",
    "Gambetta", "des Tilleuls", "Louise Michel", "du Marché", "des Vignes", "de la Liberté", "Jules Ferry",
    "du Château", "des Lilas", "Carnot", "Émile Zola", "de l'Industrie", "des Artisans", "Olympe de Gouges",
    "Simone Veil", "des Tanneurs", "du Port", "de la Fontaine", "Aristide Briand", "Danielle Casanova",
]
PLACE_ACTIVITIES = [
    "un atelier partagé", "un fablab", "une recyclerie", "un café associatif", "des bureaux partagés",
    "une cuisine collective", "un jardin partagé", "une épicerie solidaire", "une salle de spectacle",
    "un espace public numérique", "une ressourcerie", "un atelier vélo", "une friche culturelle",
    "une micro-folie", "une ferme urbaine", "une conciergerie solidaire",
]
BIO_OPENERS = [
    "Habitant·e de {c} depuis {n} ans", "Installé·e à {c} depuis {n} ans", "Je vis à {c}",
    "Originaire de {c2}, je vis désormais à {c}", "Ancien·ne salarié·e reconverti·e, je vis à {c}",
    "Membre du collectif depuis {n} ans", "Résident·e à {c}",
]
BIO_MIDDLES = [
    "je partage mes savoir-faire ({s1}, {s2})", "j'anime des ateliers (thème : {s1})",
    "côté compétences : {s1} et {s2}", "je transmets ce que je sais faire : {s1}, {s2}",
    "je travaille dans le domaine suivant : {s1}, et je découvre {s2}",
    "je propose des initiations ({s1}, {s2})",
]
BIO_CLOSERS = [
    "avec le collectif {p_de}.", "au sein du collectif {p_de}.", "{p_a}. J'aime les projets collectifs.",
    "{p_a}. Je m'occupe aussi du jardin partagé.", "{p_a}. Disponible pour des chantiers participatifs.",
    "{p_a}. Bénévole à la recyclerie du quartier.", "{p_a}. Curieux·se de tout, surtout des communs.",
    "{p_a}, entre deux permanences d'accueil.", "{p_a}. Toujours partant·e pour un repas partagé.",
    "{p_a}. Je cherche des personnes pour monter un atelier.",
]
EVENT_KINDS_TOPIC = [
    "Atelier", "Initiation", "Formation", "Stage", "Café-atelier", "Démonstration", "Rencontre",
    "Masterclass", "Permanence", "Chantier participatif",
]
EVENT_KINDS_FREE = [
    "Assemblée générale", "Portes ouvertes", "Repas partagé", "Soirée jeux", "Marché de producteurs",
    "Concert", "Projection-débat", "Permanence d'accueil", "Réunion des résident·es", "Apéro des voisin·es",
    "Repair café", "Bourse aux plantes", "Vide-atelier", "Bal folk",
]
EVENT_EXTRAS = [
    "Ouvert à toutes et tous, sans inscription.", "Inscription conseillée, places limitées.", "Prix libre.",
    "Repas partagé à la suite.", "Matériel fourni.", "Accessible aux personnes à mobilité réduite.",
    "Venez avec vos outils.", "Gratuit pour les adhérent·es.", "Garde d'enfants possible.",
    "Animé par des résident·es du lieu.",
]
ROLES = ["résident·e", "résident·e", "résident·e", "bénévole", "bénévole", "adhérent·e", "coordination",
         "artisan·e", "entrepreneur·e", "salarié·e"]


def slugify(text):
    t = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe"))
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    out, dash = [], False
    for ch in t:
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def lit(text):
    # Our generated text never contains quotes, backslashes or line breaks; keep the check cheap.
    return '"' + text + '"'


def place_a(name):
    """'à' + place name with the French contractions (au 6b, aux Ateliers, à la Ruche)."""
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name[0].lower() + name[1:] if name.startswith(("La ", "L'")) else "à " + name


def place_de(name):
    """'de' + place name (du 6b, des Ateliers, de la Ruche)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    return "de " + name[0].lower() + name[1:] if name.startswith(("La ", "L'")) else "de " + name


def in_sentence(label):
    return label if label.isupper() or label[:2].isupper() else label[0].lower() + label[1:]


class Concept:
    __slots__ = ("iri", "slug", "fr", "en", "alt", "level", "parent", "top", "notation", "phrase")


def build_taxonomy():
    concepts = []
    for ti, (fr, en, alt, mids) in enumerate(TAXONOMY, 1):
        top = _concept(fr, en, alt, 0, None, None, f"{ti:02d}")
        top.top = top
        concepts.append(top)
        for mi, (mfr, men, malt, leaves) in enumerate(mids, 1):
            mid = _concept(mfr, men, malt, 1, top, top, f"{ti:02d}.{mi}")
            concepts.append(mid)
            for li, (lfr, len_, lalt) in enumerate(leaves, 1):
                concepts.append(_concept(lfr, len_, lalt, 2, mid, top, f"{ti:02d}.{mi}.{li}"))
    slugs = [c.slug for c in concepts]
    assert len(set(slugs)) == len(slugs), "duplicate skill slug"
    return concepts


def _concept(fr, en, alt, level, parent, top, notation):
    c = Concept()
    c.slug = slugify(fr)
    c.iri = f"<{SKILLS}/{c.slug}>"
    c.fr, c.en, c.alt, c.level, c.parent, c.top, c.notation = fr, en, alt, level, parent, top, notation
    c.phrase = in_sentence(fr)
    return c


def write_skills(out, concepts):
    g = f"<{SKILLS}>"
    scheme = g
    lines = [
        f"{scheme} {A} <{SKOS}ConceptScheme> {g} .\n",
        f'{scheme} <{SKOS}prefLabel> "Compétences des tiers-lieux"@fr {g} .\n',
        f'{scheme} <{SKOS}prefLabel> "Third-place skills"@en {g} .\n',
    ]
    for c in concepts:
        s = c.iri
        lines.append(f"{s} {A} <{SKOS}Concept> {g} .\n")
        lines.append(f"{s} <{SKOS}inScheme> {scheme} {g} .\n")
        lines.append(f'{s} <{SKOS}prefLabel> "{c.fr}"@fr {g} .\n')
        lines.append(f'{s} <{SKOS}prefLabel> "{c.en}"@en {g} .\n')
        lines.append(f'{s} <{SKOS}notation> "{c.notation}" {g} .\n')
        if c.alt:
            lines.append(f'{s} <{SKOS}altLabel> "{c.alt}"@fr {g} .\n')
        if c.parent is None:
            lines.append(f"{s} <{SKOS}topConceptOf> {scheme} {g} .\n")
            lines.append(f"{scheme} <{SKOS}hasTopConcept> {s} {g} .\n")
        else:
            lines.append(f"{s} <{SKOS}broader> {c.parent.iri} {g} .\n")
    out.write("".join(lines))
    return len(lines)


class WeightedPicker:
    """Fast single draws from fixed weights (bisect on cumulative weights)."""

    def __init__(self, items, weights):
        self.items = items
        self.cum = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def pick(self, rnd):
        return self.items[bisect.bisect_right(self.cum, rnd() * self.total)]


def calendar_days():
    """[(yyyy-mm-dd, utc offset)] for 2026-01-01 .. 2027-12-31, with the French summer time rule."""
    days = []
    d = dt.date(2026, 1, 1)
    end = dt.date(2027, 12, 31)
    dst = {}
    for y in (2026, 2027, 2028):
        def last_sunday(month):
            last = dt.date(y, month + 1, 1) - dt.timedelta(days=1)
            return last - dt.timedelta(days=(last.weekday() + 1) % 7)
        dst[y] = (last_sunday(3), last_sunday(10))
    while d <= end + dt.timedelta(days=1):
        start, stop = dst[d.year]
        days.append((d.isoformat(), "+02:00" if start <= d < stop else "+01:00"))
        d += dt.timedelta(days=1)
    return days


def generate(path, scale="quick", seed=42, log=sys.stderr):
    cfg = SCALES[scale]
    rng = random.Random(seed)
    rnd = rng.random
    randrange = rng.randrange
    choice = rng.choice
    gauss = rng.gauss
    t0 = time.perf_counter()
    counts = {}

    concepts = build_taxonomy()
    by_iri = {c.iri[1:-1]: c for c in concepts}
    tops = [c for c in concepts if c.level == 0]
    skillable = [c for c in concepts if c.level > 0]          # residents hold mid or leaf skills
    # Zipf-ish popularity over a seeded permutation of the 240 skillable concepts
    perm = skillable[:]
    rng.shuffle(perm)
    global_skills = WeightedPicker(perm, [1.0 / (r + 1) ** 0.9 for r in range(len(perm))])
    theme_skills = {}
    for top in tops:
        members = [c for c in skillable if c.top is top]
        rng.shuffle(members)
        theme_skills[top.iri] = WeightedPicker(members, [1.0 / (r + 1) ** 0.6 for r in range(len(members))])
    top_picker = WeightedPicker(tops, [1.0 / (r + 1) ** 0.5 for r in range(len(tops))])
    communes = WeightedPicker(COMMUNES, [c[5] for c in COMMUNES])

    # --- places ---------------------------------------------------------------------------------
    n_places, n_cod = cfg["places"], cfg["cod_hosts"]
    host_home = [None] + [communes.pick(rnd) for _ in range(n_cod)]
    host_home[1] = COMMUNES[1]                                   # cod1 is the Saint-Denis network
    places = []            # (iri, name, lat_str, long_str, commune tuple, theme top concept)
    host_slugs = {}
    for i in range(n_places):
        host = 1 + (i * n_cod) // n_places                          # ~10 places per COD host
        if i == 0:
            name, commune = CONSTANTS["place_name"], COMMUNES[1]
            lat, lon = 48.9270, 2.3590
            theme = by_iri[CONSTANTS["top_skill"]]
        else:
            r = rnd()
            commune = host_home[host] if r < 0.7 else communes.pick(rnd)
            spread = commune[6] if rnd() < 0.8 else 0.25           # some places out in the countryside
            lat = commune[3] + gauss(0, spread)
            lon = commune[4] + gauss(0, spread * 1.4)
            base = choice(PLACE_BASES)
            q = rnd()
            if q < 0.45:
                name = f"{base} {choice(PLACE_QUALIFIERS)}"
            elif q < 0.8:
                name = f"{base} de {commune[0]}"
            else:
                name = base
            theme = top_picker.pick(rnd)
        slug = slugify(name)
        used = host_slugs.setdefault(host, {})
        if slug in used:
            used[slug] += 1
            slug = f"{slug}-{used[slug]}"
        else:
            used[slug] = 1
        iri = f"https://cod{host}.example/{slug}"
        places.append((iri, name, f"{lat:.5f}", f"{lon:.5f}", commune, theme, lat, lon,
                       place_a(name), place_de(name)))
    assert places[0][0] == CONSTANTS["place"]

    # popularity of places for residents and events (log-normal), Le 6b is a big one
    place_w = [math.exp(gauss(0, 0.8)) for _ in places]
    place_w[0] = 6.0 * sum(place_w) / len(place_w)
    place_picker = WeightedPicker(list(range(n_places)), place_w)

    with open(path, "w", encoding="utf-8", buffering=8 << 20) as out:
        counts["skills"] = write_skills(out, concepts)
        log.write(f"skills: {len(concepts)} concepts, {counts['skills']} quads\n")

        # --- place documents --------------------------------------------------------------------
        P_NAME, P_LABEL = f"<{SCHEMA}name>", f"<{PAIR}label>"
        P_DESC = f"<{SCHEMA}description>"
        P_LAT, P_LONG = f"<{SCHEMA}latitude>", f"<{SCHEMA}longitude>"
        P_TOPIC = f"<{PAIR}hasTopic>"
        n = 0
        buf = []
        for i, (iri, name, lat_s, lon_s, commune, theme, *_) in enumerate(places):
            g = f"<{iri}>"
            b = f"_:addr{i}"
            host = iri.split("/")[2]
            activity = choice(PLACE_ACTIVITIES)
            activity2 = choice(PLACE_ACTIVITIES)
            kind = "urbain" if i == 0 else choice(["associatif", "coopératif", "citoyen", "rural", "urbain", "culturel"])
            desc = (f"{name} est un tiers-lieu {kind} "
                    f"à {commune[0]} qui accueille {activity} et {activity2}. "
                    f"On y croise des habitant·es, des artisan·es et des associations. "
                    f"Thématique principale : {theme.phrase}. Ouvert du mardi au samedi.")
            lines = [
                f"{g} {A} <{PAIR}Place> {g} .\n",
                f"{g} {A} <{SCHEMA}Place> {g} .\n",
                f"{g} {A} <{AS}Group> {g} .\n",
                f"{g} {P_LABEL} {lit(name)} {g} .\n",
                f"{g} {P_NAME} {lit(name)} {g} .\n",
                f"{g} {P_DESC} {lit(desc)}@fr {g} .\n",
                f"{g} <{AS}preferredUsername> {lit(iri.rsplit('/', 1)[1])} {g} .\n",
                f"{g} <{AS}inbox> <{iri}/inbox> {g} .\n",
                f"{g} <{AS}outbox> <{iri}/outbox> {g} .\n",
                f"{g} <{AS}followers> <{iri}/followers> {g} .\n",
                f"{g} <{SCHEMA}address> {b} {g} .\n",
                f"{b} {A} <{SCHEMA}PostalAddress> {g} .\n",
                f"{b} <{SCHEMA}streetAddress> {lit(f'{randrange(1, 140)} {choice(STREET_TYPES)} {choice(STREET_NAMES)}')} {g} .\n",
                f"{b} <{SCHEMA}postalCode> {lit(commune[2])} {g} .\n",
                f"{b} <{SCHEMA}addressLocality> {lit(commune[0])} {g} .\n",
                f'{b} <{SCHEMA}addressCountry> "FR" {g} .\n',
                f'{g} {P_LAT} "{lat_s}"{T_DOUBLE} {g} .\n',
                f'{g} {P_LONG} "{lon_s}"{T_DOUBLE} {g} .\n',
                f"{g} <{KOMMON}commune> {lit(commune[1])} {g} .\n",
                f"{g} <{SCHEMA}url> <https://{host}/> {g} .\n",
                f'{g} <{SCHEMA}foundingDate> "{2008 + randrange(17)}-{1 + randrange(12):02d}-{1 + randrange(28):02d}"{T_DATE} {g} .\n',
                f"{g} <{VCARD}hasTelephone> <tel:+33{randrange(1, 6)}{randrange(10**7, 10**8)}> {g} .\n",
                f"{g} <{VCARD}hasEmail> <mailto:contact@{host}> {g} .\n",
                f'{g} <{SCHEMA}openingHours> "Tu-Sa 10:00-19:00" {g} .\n',
                f'{g} <{SCHEMA}maximumAttendeeCapacity> "{randrange(20, 400)}"{T_INTEGER} {g} .\n',
            ]
            topics = {theme.iri}
            tp = theme_skills[theme.iri]
            for _ in range(1 + randrange(3)):
                topics.add(tp.pick(rnd).iri)
            for t in sorted(topics):
                lines.append(f"{g} {P_TOPIC} {t} {g} .\n")
            n += len(lines)
            buf.append("".join(lines))
        out.write("".join(buf))
        buf = []
        counts["places"] = n
        log.write(f"places: {n_places} documents, {n} quads ({time.perf_counter() - t0:.1f}s)\n")

        # --- residents and their residencies -----------------------------------------------------
        n_res, n_pod = cfg["residents"], cfg["pod_hosts"]
        pod_names = [dict() for _ in range(n_pod + 1)]
        place_members = [[] for _ in range(n_places)]
        residency_counter = [0] * n_places
        forced_6b = max(20, n_res // 1000)
        P_HAS_SKILL = f"<{PAIR}hasSkill>"
        P_FOAF_NAME = f"<{FOAF}name>"
        P_FIRST, P_LAST = f"<{PAIR}firstName>", f"<{PAIR}lastName>"
        P_PDESC = f"<{PAIR}description>"
        P_URL = f"<{SCHEMA}url>"
        TYPES_PERSON = f" {A} <{FOAF}Person> ", f" {A} <{PAIR}Person> ", f" {A} <{AS}Person> "
        n_r = n_m = 0
        langs = ["fr", "fr", "fr", "en", "es", "ar", "de", "it", "br", "oc", "pt", "wo"]
        for k in range(n_res):
            if k == 0:
                first, last, pod = "Camille", "Martin", 1
                pidx = 0
            else:
                first, last = choice(FIRST_NAMES), choice(LAST_NAMES)
                pod = 1 + randrange(n_pod)
                pidx = 0 if k < forced_6b else place_picker.pick(rnd)
            last_label = last.replace("-", " ") if last.startswith(("Le-", "Da-")) else last
            name = f"{first} {last_label}"
            base = slugify(name)
            used = pod_names[pod]
            if base in used:
                used[base] += 1
                slug = f"{base}-{used[base]}"
            else:
                used[base] = 1
                slug = base
            iri = f"https://pod{pod}.example/{slug}"
            g = f"<{iri}>"
            place = places[pidx]
            # skills: 2-5 distinct, half drawn from the place's theme, the rest by global popularity
            if k == 0:
                skills = [f"<{s}>" for s in CONSTANTS["resident_skills"]]
                skill_concepts = [by_iri[s] for s in CONSTANTS["resident_skills"]]
            else:
                want = 2 + randrange(4)
                tp = theme_skills[place[5].iri]
                chosen = {}
                while len(chosen) < want:
                    c = tp.pick(rnd) if rnd() < 0.5 else global_skills.pick(rnd)
                    chosen[c.iri] = c
                skill_concepts = list(chosen.values())
                skills = list(chosen)
            s1 = skill_concepts[0].phrase
            s2 = skill_concepts[1].phrase
            commune = place[4][0]
            bio = (choice(BIO_OPENERS).format(c=commune, c2=choice(COMMUNES)[0], n=2 + randrange(20))
                   + ", " + choice(BIO_MIDDLES).format(s1=s1, s2=s2)
                   + " " + choice(BIO_CLOSERS).format(p_a=place[8], p_de=place[9]))
            lat = place[6] + gauss(0, 0.02)
            lon = place[7] + gauss(0, 0.028)
            lines = [
                g + TYPES_PERSON[0] + g + " .\n",
                g + TYPES_PERSON[1] + g + " .\n",
                g + TYPES_PERSON[2] + g + " .\n",
                f'{g} {P_FOAF_NAME} "{name}" {g} .\n',
                f'{g} {P_FIRST} "{first}" {g} .\n',
                f'{g} {P_LAST} "{last_label}" {g} .\n',
                f'{g} {P_PDESC} "{bio}"@fr {g} .\n',
                f'{g} <{AS}preferredUsername> "{slug}" {g} .\n',
                f"{g} <{AS}inbox> <{iri}/inbox> {g} .\n",
                f"{g} <{AS}outbox> <{iri}/outbox> {g} .\n",
                f'{g} {P_LAT} "{lat:.5f}"{T_DOUBLE} {g} .\n',
                f'{g} {P_LONG} "{lon:.5f}"{T_DOUBLE} {g} .\n',
                f"{g} {P_URL} <{iri}> {g} .\n",
                f"{g} <{VCARD}hasEmail> <mailto:{slug}@pod{pod}.example> {g} .\n",
                f'{g} <{SCHEMA}knowsLanguage> "{choice(langs)}" {g} .\n',
            ]
            for s in skills:
                lines.append(f"{g} {P_HAS_SKILL} {s} {g} .\n")
            if rnd() < 0.5:
                lines.append(f"{g} <{FOAF}img> <{iri}/avatar.jpg> {g} .\n")
            if rnd() < 0.3:
                lines.append(f'{g} <{SCHEMA}knowsLanguage> "fr" {g} .\n' if lines[14].find('"fr"') < 0
                             else f'{g} <{SCHEMA}knowsLanguage> "en" {g} .\n')
            n_r += len(lines)
            buf.append("".join(lines))
            place_members[pidx].append(iri)

            # residency document in the place's COD
            residency_counter[pidx] += 1
            m_iri = f"{place[0]}/residents/{residency_counter[pidx]}"
            mg = f"<{m_iri}>"
            mlines = [
                f"{mg} {A} <{KOMMON}Residency> {mg} .\n",
                f"{mg} {A} <{PAIR}MembershipAssociation> {mg} .\n",
                f"{mg} <{PAIR}membershipActor> {g} {mg} .\n",
                f"{mg} <{PAIR}membershipOrganization> <{place[0]}> {mg} .\n",
                f'{mg} <{SCHEMA}startDate> "{2015 + randrange(11)}-{1 + randrange(12):02d}-{1 + randrange(28):02d}"{T_DATE} {mg} .\n',
            ]
            if k == 0 or rnd() < 0.8:
                mlines.append(f'{mg} <{KOMMON}role> "{"coordination" if k == 0 else choice(ROLES)}" {mg} .\n')
            n_m += len(mlines)
            buf.append("".join(mlines))
            if len(buf) >= 4000:
                out.write("".join(buf))
                buf = []
        out.write("".join(buf))
        buf = []
        counts["residents"] = n_r
        counts["residencies"] = n_m
        log.write(f"residents: {n_res} documents, {n_r} quads; residencies: {n_res} documents, {n_m} quads "
                  f"({time.perf_counter() - t0:.1f}s)\n")

        # --- events -------------------------------------------------------------------------------
        days = calendar_days()
        n_days = len(days) - 1
        event_counter = [0] * n_places
        n_e = 0
        P_START, P_END = f"<{SCHEMA}startDate>", f"<{SCHEMA}endDate>"
        P_LOC, P_ORG = f"<{SCHEMA}location>", f"<{SCHEMA}organizer>"
        TYPES_EVENT = f" {A} <{SCHEMA}Event> ", f" {A} <{PAIR}Event> ", f" {A} <{AS}Event> "
        P_FREE = f"<{SCHEMA}isAccessibleForFree>"
        hours = [9, 10, 10, 14, 14, 15, 17, 18, 18, 19, 19, 20]
        minutes = ["00", "00", "00", "30", "15", "30"]
        for e in range(cfg["events"]):
            pidx = place_picker.pick(rnd)
            place = places[pidx]
            event_counter[pidx] += 1
            iri = f"{place[0]}/events/{event_counter[pidx]}"
            g = f"<{iri}>"
            day = randrange(n_days)
            date, off = days[day]
            h = choice(hours)
            m = choice(minutes)
            start = f"{date}T{h:02d}:{m}:00{off}"
            if rnd() < 0.03:
                d2, off2 = days[day + 1]
                end = f"{d2}T{h:02d}:{m}:00{off2}"
            else:
                end = f"{date}T{min(h + 1 + randrange(3), 23):02d}:{m}:00{off}"
            topic = None
            if rnd() < 0.6:
                topic = theme_skills[place[5].iri].pick(rnd) if rnd() < 0.7 else global_skills.pick(rnd)
                kind = choice(EVENT_KINDS_TOPIC)
                title = f"{kind} {topic.phrase}"
                desc = f"{kind} {topic.phrase} {place[8]}. {choice(EVENT_EXTRAS)} {choice(EVENT_EXTRAS)}"
            else:
                kind = choice(EVENT_KINDS_FREE)
                title = f"{kind} – {place[1]}"
                desc = f"{kind} {place[8]}, {place[4][0]}. {choice(EVENT_EXTRAS)}"
            members = place_members[pidx]
            organizer = f"<{choice(members)}>" if members and rnd() < 0.3 else f"<{place[0]}>"
            lines = [
                g + TYPES_EVENT[0] + g + " .\n",
                g + TYPES_EVENT[1] + g + " .\n",
                g + TYPES_EVENT[2] + g + " .\n",
                f'{g} {P_NAME} "{title}" {g} .\n',
                f'{g} {P_DESC} "{desc}"@fr {g} .\n',
                f'{g} {P_START} "{start}"{T_DATETIME} {g} .\n',
                f'{g} {P_END} "{end}"{T_DATETIME} {g} .\n',
                f"{g} {P_LOC} <{place[0]}> {g} .\n",
                f'{g} {P_LAT} "{place[2]}"{T_DOUBLE} {g} .\n',
                f'{g} {P_LONG} "{place[3]}"{T_DOUBLE} {g} .\n',
                f"{g} {P_ORG} {organizer} {g} .\n",
            ]
            if topic is not None:
                lines.append(f"{g} {P_TOPIC} {topic.iri} {g} .\n")
            if rnd() < 0.5:
                lines.append(f'{g} {P_FREE} "{"true" if rnd() < 0.7 else "false"}"{T_BOOLEAN} {g} .\n')
            n_e += len(lines)
            buf.append("".join(lines))
            if len(buf) >= 8000:
                out.write("".join(buf))
                buf = []
        out.write("".join(buf))
        counts["events"] = n_e
        log.write(f"events: {cfg['events']} documents, {n_e} quads ({time.perf_counter() - t0:.1f}s)\n")

    total = sum(counts.values())
    documents = 1 + n_places + 2 * n_res + cfg["events"]
    meta = {
        "generator_version": GENERATOR_VERSION,
        "scale": scale,
        "seed": seed,
        "python": sys.version.split()[0],
        "file": os.path.abspath(path),
        "bytes": os.path.getsize(path),
        "quads": total,
        "documents": documents,
        "quads_by_kind": counts,
        "entities": {"skills": len(concepts), "places": n_places, "residents": n_res,
                     "residencies": n_res, "events": cfg["events"],
                     "cod_hosts": n_cod, "pod_hosts": cfg["pod_hosts"]},
        "residents_of_fixed_place": len(place_members[0]),
        "events_of_fixed_place": event_counter[0],
        "constants": CONSTANTS,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    with open(path + ".meta.json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="N-Quads file to write (plain .nq); FILE.meta.json is written next to it")
    ap.add_argument("--scale", choices=sorted(SCALES), default="quick")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    meta = generate(args.output, args.scale, args.seed)
    print(f"wrote {meta['quads']:,} quads in {meta['documents']:,} documents (named graphs), "
          f"{meta['bytes'] / 1e6:,.1f} MB, to {args.output} in {meta['seconds']}s")
    for kind, q in meta["quads_by_kind"].items():
        print(f"  {kind:12s} {q:>12,} quads")


if __name__ == "__main__":
    main()
