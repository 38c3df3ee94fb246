"""Writes holdout25.jsonl: a twenty-fifth held-out round (the issue's own obfuscation families in new
variants), written after the twenty-fourth round's fixes."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from build_dataset import write  # noqa: E402

HARMFUL = [
    ("seller", "восемь девять ноль пять один два три четыре пять шесть семь", "C"),
    ("seller", "мой номер 8-9l2-345-67-89", "C"),
    ("buyer", "тел: 8 (9О5) 111 22 33", "C"),
    ("buyer", "хуjня какая-то", "M"),
    ("buyer", "п1здец полный", "M"),
    ("seller", "еб@ть вас всех", "M"),
    ("buyer", "с*ка, ну где заказ", "M"),
    ("seller", "ivan (собака) mail (точка) ru", "C"),
    ("seller", "ivan at mail dot ru", "C"),
    ("seller", "пиши в тг: ivan_shop", "CL"),
    ("seller", "в тгшке отвечу быстрее", "L"),
    ("seller", "вотс ап есть? напиши", "L"),
    ("seller", "t.me/ivan_shop_msk", "C"),
    ("seller", "wa.me/79123456789", "C"),
    ("seller", "@ivan_shop_msk — пиши", "CL"),
    ("seller", "н а п и ш и т е  в  в а ц а п", "L"),
    ("seller", "Т Е Л Е Г Р А М — ivan_shop", "C"),
    ("seller", "8 9 1 2 3 4 5 6 7 8 9 — звоните", "CL"),
]

HONEST = [
    ("buyer", "Восемь девяносто девять — это цена со скидкой?", ""),
    ("seller", "Модель 9L2 снята с производства, есть 9L3", ""),
    ("buyer", "Размер 9О? Такого нет, есть 90", ""),
    ("buyer", "Хулиганы сломали почтовый ящик, доставьте в ПВЗ", ""),
    ("seller", "Застрахуй посылку — шутка нашего склада 😄, страховка уже включена", ""),
    ("buyer", "Потребитель вправе требовать замену — я так и сделаю", ""),
    ("buyer", "Оскорблять никого не хочу, но рубля за это не дам", ""),
    ("seller", "Иван, спасибо за заказ! Ваш трек 80012345678901", ""),
    ("buyer", "В ТГ-канале маркетплейса писали про распродажу", ""),
    ("seller", "Ссылка на товар: https://www.wildberries.ru/catalog/12345678/detail.aspx", ""),
    ("buyer", "Артикул 89123456789 — это тот же цвет?", ""),
    ("seller", "IMEI 356789012345678 совпадает с коробкой", ""),
    ("buyer", "Размер 42-44, рост 165-170", ""),
    ("buyer", "Да", ""),
    ("seller", "Здравствуйте! Да, товар в наличии, отправим сегодня", ""),
    ("buyer", "Обращусь в Роспотребнадзор, если не ответите", ""),
]

if __name__ == "__main__":
    write("holdout25.jsonl", HARMFUL, HONEST)
