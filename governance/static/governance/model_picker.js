// A model field that suggests models from the models API as the person types: the registry is too large for
// a drop-down. Without JavaScript the field still takes a model's slug typed in full (the server checks it).
"use strict";
document.querySelectorAll("input[data-model-search]").forEach((input) => {
  const list = document.getElementById(input.getAttribute("list"));
  let timer = 0;
  let asked = "";
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      const query = input.value.trim();
      if (query.length < 2 || query === asked) return;
      asked = query;
      const url = `${input.dataset.modelSearch}?q=${encodeURIComponent(query)}&page_size=20`;
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok || query !== input.value.trim()) return;
      const body = await response.json();
      list.replaceChildren(
        ...body.results.map((model) => {
          const option = document.createElement("option");
          option.value = model.slug;
          option.label = model.version ? `${model.name} (${model.version})` : model.name;
          return option;
        }),
      );
    }, 150);
  });
});
