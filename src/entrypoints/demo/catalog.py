"""Demo catalog: thirty well-known books, and a few weeks of reading by the demo readers."""

from __future__ import annotations

import random
from datetime import timedelta

from application.ports.catalog import BookFilter
from application.results import PageRequest
from domain.catalog import BookDraft, BookId
from entrypoints.demo import Demo

#: (title, author, year, cover, copies, daily fee in cents, short description)
BOOKS: list[tuple[str, str, int, str, int, int, str]] = [
    ("Pride and Prejudice", "Jane Austen", 1813, "SOFT", 4, 40, "Elizabeth Bennet meets Mr Darcy."),
    ("Emma", "Jane Austen", 1815, "HARD", 2, 40, "A matchmaker who misreads every heart, her own included."),
    ("Frankenstein", "Mary Shelley", 1818, "SOFT", 3, 35, "A student builds a creature and abandons it."),
    ("Moby-Dick", "Herman Melville", 1851, "HARD", 2, 50, "Captain Ahab hunts the white whale."),
    ("Bleak House", "Charles Dickens", 1853, "HARD", 1, 55, "An endless lawsuit and the lives it swallows."),
    ("Madame Bovary", "Gustave Flaubert", 1857, "SOFT", 2, 45, "A doctor's wife in Normandy dreams of more."),
    ("Great Expectations", "Charles Dickens", 1861, "SOFT", 3, 40, "Pip, a convict, and a jilted bride."),
    ("Crime and Punishment", "Fyodor Dostoevsky", 1866, "SOFT", 3, 45, "Raskolnikov and the idea that kills."),
    ("War and Peace", "Leo Tolstoy", 1869, "HARD", 2, 70, "Russian families through the Napoleonic wars."),
    ("Middlemarch", "George Eliot", 1871, "HARD", 2, 55, "A study of provincial life."),
    ("Anna Karenina", "Leo Tolstoy", 1878, "HARD", 2, 60, "Love and society in imperial Russia."),
    ("The Brothers Karamazov", "Fyodor Dostoevsky", 1880, "HARD", 1, 65, "A murdered father and three sons."),
    ("The Portrait of a Lady", "Henry James", 1881, "SOFT", 2, 45, "Isabel Archer chooses her fate."),
    ("Dracula", "Bram Stoker", 1897, "SOFT", 4, 35, "Letters and diaries about a Transylvanian count."),
    ("Heart of Darkness", "Joseph Conrad", 1899, "SOFT", 3, 25, "A voyage up the Congo river."),
    ("Buddenbrooks", "Thomas Mann", 1901, "HARD", 1, 60, "The decline of a merchant family in Lübeck."),
    ("The Age of Innocence", "Edith Wharton", 1920, "SOFT", 2, 40, "Old New York and a marriage of duty."),
    ("Ulysses", "James Joyce", 1922, "HARD", 1, 70, "One day in Dublin, 16 June 1904."),
    ("Mrs Dalloway", "Virginia Woolf", 1925, "SOFT", 3, 35, "A London day and a party in the evening."),
    ("The Great Gatsby", "F. Scott Fitzgerald", 1925, "SOFT", 5, 30, "Parties, money and a green light."),
    ("The Trial", "Franz Kafka", 1925, "SOFT", 2, 30, "Josef K. is arrested and never told why."),
    ("To the Lighthouse", "Virginia Woolf", 1927, "HARD", 2, 40, "A family, a house, a trip postponed."),
    ("The Sound and the Fury", "William Faulkner", 1929, "HARD", 1, 45, "The Compson family, told four ways."),
    ("Brave New World", "Aldous Huxley", 1932, "SOFT", 4, 35, "A comfortable, engineered world state."),
    ("Their Eyes Were Watching God", "Zora Neale Hurston", 1937, "SOFT", 2, 35, "Janie Crawford's three marriages."),
    ("The Master and Margarita", "Mikhail Bulgakov", 1967, "HARD", 2, 50, "The devil visits Soviet Moscow."),
    ("Nineteen Eighty-Four", "George Orwell", 1949, "SOFT", 5, 35, "Big Brother is watching you."),
    ("Invisible Man", "Ralph Ellison", 1952, "HARD", 2, 45, "A nameless narrator, unseen by society."),
    ("Things Fall Apart", "Chinua Achebe", 1958, "SOFT", 3, 30, "Okonkwo and the coming of the colonisers."),
    ("One Hundred Years of Solitude", "Gabriel García Márquez", 1967, "HARD", 3, 55, "Macondo and the Buendías."),
]

READERS = ("ada", "grace", "alan")


async def seed_books_and_sessions(demo: Demo) -> None:
    catalog = demo.container.catalog
    existing = await catalog.list_books()(filters=BookFilter(), page=PageRequest(limit=1))
    if existing.total:
        demo.echo(f"books: the catalog already holds {existing.total}; no books or reading sessions added")
        return
    create = catalog.create_book()
    book_ids: list[BookId] = []
    for title, author, year, cover, copies, fee, short in BOOKS:
        details = await create(
            draft=BookDraft(
                title=title,
                author=author,
                publish_year=year,
                cover=cover,
                inventory=copies,
                daily_fee_cents=fee,
                short_description=short,
                full_description=f"{short} {title} by {author}, first published in {year}.",
            )
        )
        book_ids.append(details.summary.id)
    demo.echo(f"books: {len(book_ids)} added")

    # A few weeks of evenings: closed sessions in the past, and one reader reading right now.
    rng = random.Random(1871)  # noqa: S311 - sample data, not secrets
    record = catalog.record_reading_session()
    now = demo.container.gateways.clock().now().replace(microsecond=0)
    recorded = 0
    for username in READERS:
        user = demo.users.get(username)
        if user is None:
            continue
        favourites = rng.sample(book_ids, 4)
        for day in range(40, 0, -rng.randint(2, 4)):
            started = now - timedelta(days=day, hours=rng.randint(0, 5), minutes=rng.randint(0, 59))
            length = timedelta(minutes=rng.randint(10, 95), seconds=rng.randint(0, 59))
            await record(
                user_id=user.uid, book_id=rng.choice(favourites), started_at=started, ended_at=started + length
            )
            recorded += 1
    reader = demo.users.get(READERS[0])
    if reader is not None:
        await catalog.start_reading()(user_id=reader.uid, book_id=book_ids[9])
    report = await catalog.refresh_reading_stats()()
    demo.echo(f"reading sessions: {recorded} recorded, 1 open; {report}")
