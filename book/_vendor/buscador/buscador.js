/* Buscador de socios: ficha de cada municipio con sus hermanamientos y las ciudades sugeridas.
   Lee municipios.json (escrito por el cuaderno 07) desde el propio libro; no usa bibliotecas
   externas ni pide nada a otros servidores. */
(function () {
  "use strict";

  var raiz = document.getElementById("buscador");
  if (!raiz) { return; }
  var entrada = document.getElementById("buscador-entrada");
  var lista = document.getElementById("buscador-lista");
  var estado = document.getElementById("buscador-estado");
  var ficha = document.getElementById("buscador-ficha");
  var formulario = document.getElementById("buscador-formulario");
  var numero = new Intl.NumberFormat("es-MX");
  var D = null;          // datos
  var M = null;          // columnas de municipios
  var N = 0;             // número de municipios
  var claves = {};       // clave INEGI -> posición
  var nombresN = [];     // nombre normalizado
  var cabecerasN = [];   // cabecera normalizada
  var estadosN = [];     // entidad normalizada
  var cortos = [];       // "Nombre (Abrev.)", como en las explicaciones
  var opciones = [];     // posiciones mostradas en la lista
  var activa = -1;
  var actual = -1;       // municipio de la ficha

  function normaliza(t) {
    return String(t || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^0-9a-z]+/g, " ").trim();
  }

  function el(tag, attrs, hijos) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "texto") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
      });
    }
    (hijos || []).forEach(function (h) { e.appendChild(typeof h === "string" ? document.createTextNode(h) : h); });
    return e;
  }

  function svg(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function entidad(i) { return D.estados[M.e[i]][0]; }
  function etiqueta(i) { return M.n[i] + ", " + entidad(i); }

  function expande(plantilla) {
    return plantilla.replace(/#([A-Z])/g, function (_, l) { return D.frases[l.charCodeAt(0) - 65]; })
      .replace(/@(\d+)/g, function (_, j) { return cortos[+j]; });
  }

  function indice(v) {
    if (v === null || v === undefined) { return "sin dato"; }
    return typeof v === "number" ? v.toLocaleString("es-MX", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : v;
  }

  function siNo(v) { return v === null || v === undefined ? "sin dato" : (v ? "sí" : "no"); }

  // ------------------------------------------------------------------ búsqueda
  function distancia(a, b, tope) {
    if (Math.abs(a.length - b.length) > tope) { return tope + 1; }
    var prev = [], cur = [], i, j;
    for (j = 0; j <= b.length; j++) { prev[j] = j; }
    for (i = 1; i <= a.length; i++) {
      cur = [i];
      var min = i;
      for (j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (cur[j] < min) { min = cur[j]; }
      }
      if (min > tope) { return tope + 1; }
      prev = cur;
    }
    return prev[b.length];
  }

  function busca(texto) {
    var crudo = String(texto).trim();
    if (/^\d{1,5}$/.test(crudo)) {
      var exactos = [], prefijo = [];
      for (var i = 0; i < N; i++) {
        // 5 dígitos, o 4 si se omitió el cero inicial de la entidad (1001 = 01001), como en la terminal
        if ((crudo.length === 5 && M.c[i] === crudo) || (crudo.length === 4 && M.c[i] === "0" + crudo)) { exactos.push(i); }
        else if (M.c[i].indexOf(crudo) === 0) { prefijo.push(i); }
      }
      return { exactos: exactos, otros: prefijo };
    }
    var partes = crudo.split(",");
    var q = normaliza(partes[0]);
    var filtro = partes.length > 1 ? normaliza(partes.slice(1).join(" ")) : "";
    var ex = [], pre = [], sub = [];
    if (!q) { return { exactos: [], otros: [] }; }
    for (var k = 0; k < N; k++) {
      if (filtro && estadosN[k].indexOf(filtro) !== 0 && normaliza(D.estados[M.e[k]][1]) !== filtro) { continue; }
      var n = nombresN[k], s = cabecerasN[k];
      if (n === q || s === q) { ex.push(k); }
      else if (n.indexOf(q) === 0 || s.indexOf(q) === 0) { pre.push(k); }
      else if (q.length >= 3 && (n.indexOf(q) >= 0 || s.indexOf(q) >= 0)) { sub.push(k); }
    }
    var orden = function (a, b) { return M.n[a].localeCompare(M.n[b], "es") || M.c[a].localeCompare(M.c[b]); };
    pre.sort(orden); sub.sort(orden); ex.sort(function (a, b) { return M.c[a].localeCompare(M.c[b]); });
    return { exactos: ex, otros: pre.concat(sub) };
  }

  function parecidos(texto) {
    var q = normaliza(String(texto).split(",")[0]);
    var tope = Math.max(2, Math.floor(q.length / 3));
    var mejores = [];
    for (var i = 0; i < N; i++) {
      var d = Math.min(distancia(q, nombresN[i], tope), distancia(q, cabecerasN[i], tope));
      if (d <= tope) { mejores.push([d, i]); }
    }
    mejores.sort(function (a, b) { return a[0] - b[0] || M.n[a[1]].localeCompare(M.n[b[1]], "es"); });
    return mejores.slice(0, 8).map(function (x) { return x[1]; });
  }

  // ------------------------------------------------------------------ lista de resultados
  function muestraLista(posiciones) {
    opciones = posiciones;
    activa = -1;
    lista.textContent = "";
    posiciones.forEach(function (i, k) {
      var cab = M.s[i] && normaliza(M.s[i]) !== nombresN[i] ? " · cabecera " + M.s[i] : "";
      var li = el("li", { id: "buscador-op-" + k, role: "option", "aria-selected": "false", "data-pos": String(i) }, [
        el("span", { "class": "buscador-op-nombre", texto: M.n[i] }),
        el("span", { "class": "buscador-op-detalle", texto: ", " + entidad(i) + " (" + M.c[i] + ")" + cab })
      ]);
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
      li.addEventListener("click", function () { elige(i); });
      lista.appendChild(li);
    });
    var abierta = posiciones.length > 0;
    lista.hidden = !abierta;
    entrada.setAttribute("aria-expanded", abierta ? "true" : "false");
    entrada.removeAttribute("aria-activedescendant");
  }

  function marca(k) {
    var items = lista.querySelectorAll("[role=option]");
    if (!items.length) { return; }
    activa = (k + items.length) % items.length;
    items.forEach(function (it, j) { it.setAttribute("aria-selected", j === activa ? "true" : "false"); });
    entrada.setAttribute("aria-activedescendant", items[activa].id);
    items[activa].scrollIntoView({ block: "nearest" });
  }

  function elige(i) {
    muestraLista([]);
    entrada.value = M.n[i] + ", " + entidad(i);
    estado.textContent = "Ficha de " + etiqueta(i) + " (" + M.c[i] + ").";
    muestraFicha(i);
  }

  function alEscribir() {
    var texto = entrada.value;
    if (!texto.trim()) { muestraLista([]); limpiaFicha(); estado.textContent = ""; return; }
    var r = busca(texto);
    if (r.exactos.length !== 1) { limpiaFicha(); }
    if (r.exactos.length === 1) {
      muestraLista(r.otros.slice(0, 10));
      estado.textContent = "Ficha de " + etiqueta(r.exactos[0]) + " (" + M.c[r.exactos[0]] + ")" +
        (r.otros.length ? "; hay otros " + r.otros.length + " nombres que empiezan o contienen «" + texto.trim() + "» en la lista." : ".");
      muestraFicha(r.exactos[0]);
      return;
    }
    if (r.exactos.length > 1) {
      muestraLista(r.exactos.concat(r.otros).slice(0, 40));
      estado.textContent = "«" + texto.trim() + "» corresponde a " + r.exactos.length +
        " municipios (por su nombre o el de su cabecera); elija uno en la lista (flechas y Enter) o escriba «Nombre, Estado».";
      return;
    }
    if (r.otros.length) {
      muestraLista(r.otros.slice(0, 20));
      estado.textContent = r.otros.length + (r.otros.length === 1 ? " municipio coincide" : " municipios coinciden") +
        (r.otros.length > 20 ? " (se muestran los 20 primeros)" : "") + "; use las flechas y Enter para elegir.";
      return;
    }
    var cerca = /^\d+$/.test(texto.trim()) ? [] : parecidos(texto);
    muestraLista(cerca);
    estado.textContent = "No hay ningún municipio con el nombre o la clave «" + texto.trim() + "». " +
      (cerca.length ? "¿Quiso decir alguno de estos?" : "Revise la escritura o escriba la clave INEGI de 5 dígitos.");
  }

  // ------------------------------------------------------------------ ficha
  function limpiaFicha() {
    actual = -1;
    ficha.textContent = "";
  }

  function fila(dl, termino, valor) {
    dl.appendChild(el("dt", { texto: termino }));
    dl.appendChild(el("dd", { texto: valor }));
  }

  function claseTexto(i) {
    var k = M.k[i];
    if (k < 0) { return "Sin clase de tamaño (población desconocida)."; }
    var c = D.clases[k];
    var n = M.v[i].length;
    return "En su clase de tamaño (" + c.clase + " habitantes) hay " + numero.format(c.n) + " municipios; " +
      numero.format(c.con_vinculo) + " (" + (100 * c.con_vinculo / c.n).toFixed(1) + " %) tienen al menos un " +
      "hermanamiento internacional registrado. Este municipio tiene " + n + (n === 1 ? " hermanamiento" : " hermanamientos") +
      "; " + numero.format(M.a[i]) + (M.a[i] === 1 ? " municipio de su clase tiene" : " municipios de su clase tienen") + " más.";
  }

  function socios(i, max) {
    var v = M.v[i];
    var nombres = v.slice(0, max).map(function (j) { return D.ciudades[j][0] + " (" + D.ciudades[j][1] + ")"; });
    return nombres.join(", ") + (v.length > max ? " y " + (v.length - max) + " más" : "");
  }

  function mapa(i) {
    var pts = [];
    M.u[i].forEach(function (s, k) { var c = D.ciudades[s[0]]; if (c[2] !== null) { pts.push([c[3], c[2], "s", k + 1, c[0] + " (" + c[1] + ")"]); } });
    M.v[i].forEach(function (j) { var c = D.ciudades[j]; if (c[2] !== null) { pts.push([c[3], c[2], "v", 0, c[0] + " (" + c[1] + ")"]); } });
    var tieneSitio = M.x[i] !== null && M.y[i] !== null;
    if (tieneSitio) { pts.push([M.x[i], M.y[i], "m", 0, M.n[i]]); }
    if (!pts.length) { return null; }
    var x0 = Math.min.apply(null, pts.map(function (p) { return p[0]; }));
    var x1 = Math.max.apply(null, pts.map(function (p) { return p[0]; }));
    var y0 = Math.min.apply(null, pts.map(function (p) { return -p[1]; }));
    var y1 = Math.max.apply(null, pts.map(function (p) { return -p[1]; }));
    var ancho = Math.max(x1 - x0, 30), alto = Math.max(y1 - y0, 15);
    var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    if (ancho / alto < 2) { ancho = alto * 2; } else { alto = ancho / 2; }
    ancho *= 1.15; alto *= 1.15;
    var vb = [cx - ancho / 2, cy - alto / 2, ancho, alto];
    var r = ancho / 110;
    var s = svg("svg", { viewBox: vb.map(function (v) { return v.toFixed(2); }).join(" "), role: "img",
      "aria-labelledby": "buscador-mapa-titulo", "class": "buscador-mapa", preserveAspectRatio: "xMidYMid meet" });
    var t = svg("title", { id: "buscador-mapa-titulo" });
    t.textContent = "Mapa de " + M.n[i] + " y sus " + M.u[i].length + " ciudades sugeridas" +
      (M.v[i].length ? " y " + M.v[i].length + " socias actuales" : "");
    s.appendChild(t);
    s.appendChild(svg("rect", { x: vb[0], y: vb[1], width: vb[2], height: vb[3], "class": "mar" }));
    if (D.mundo) { s.appendChild(svg("path", { d: D.mundo, "class": "tierra" })); }
    pts.forEach(function (p) {
      if (tieneSitio && p[2] !== "m") {
        s.appendChild(svg("line", { x1: M.x[i], y1: -M.y[i], x2: p[0], y2: -p[1], "class": p[2] === "s" ? "linea-s" : "linea-v" }));
      }
    });
    pts.slice().reverse().forEach(function (p) {
      var g = svg("g", { "class": "punto-" + p[2] });
      var tt = svg("title");
      tt.textContent = p[2] === "s" ? p[3] + ". " + p[4] + " (sugerida)" : (p[2] === "v" ? p[4] + " (socia actual)" : p[4]);
      g.appendChild(tt);
      if (p[2] === "m") {
        g.appendChild(svg("rect", { x: p[0] - r, y: -p[1] - r, width: 2 * r, height: 2 * r }));
      } else {
        g.appendChild(svg("circle", { cx: p[0], cy: -p[1], r: p[2] === "s" ? r : r * 0.7 }));
      }
      if (p[2] === "s") {
        var num = svg("text", { x: p[0] + r * 1.2, y: -p[1] - r * 0.6, "font-size": (r * 2.4).toFixed(2) });
        num.textContent = String(p[3]);
        g.appendChild(num);
      }
      s.appendChild(g);
    });
    return s;
  }

  function muestraFicha(i) {
    actual = i;
    ficha.textContent = "";
    var h = el("h2", { id: "buscador-ficha-titulo", tabindex: "-1", texto: M.n[i] + ", " + entidad(i) });
    ficha.setAttribute("aria-labelledby", "buscador-ficha-titulo");
    ficha.appendChild(h);
    var cab = M.s[i] ? M.s[i] : "sin dato";
    ficha.appendChild(el("p", { "class": "buscador-sub", texto: "Clave INEGI " + M.c[i] + " · Cabecera: " + cab }));

    var dl = el("dl", { "class": "buscador-datos" });
    fila(dl, "Población 2020", M.p[i] === null ? "sin dato" : numero.format(M.p[i]) + " habitantes");
    fila(dl, "Región", M.r[i] || "sin dato");
    fila(dl, "Litoral", siNo(M.g[i][0]));
    fila(dl, "Frontera con Estados Unidos", siNo(M.g[i][1]));
    fila(dl, "Frontera con Guatemala o Belice", siNo(M.g[i][2]));
    fila(dl, "Entidad fronteriza con Estados Unidos", siNo(M.g[i][3]));
    fila(dl, "Grado de marginación 2020 (CONAPO)", M.m[i] || "sin dato");
    fila(dl, "Intensidad migratoria hacia Estados Unidos 2010 (CONAPO, índice absoluto)", indice(M.i[i]));
    ficha.appendChild(dl);

    var boton = el("button", { type: "button", "class": "buscador-boton", texto: "Descargar ficha (CSV)" });
    boton.addEventListener("click", function () { descarga(i); });
    ficha.appendChild(boton);

    ficha.appendChild(el("h3", { texto: "Hermanamientos internacionales registrados (" + M.v[i].length + ")" }));
    if (M.v[i].length) {
      var ul = el("ul", { "class": "buscador-socios" });
      M.v[i].forEach(function (j) { ul.appendChild(el("li", { texto: D.ciudades[j][0] + " (" + D.ciudades[j][1] + ")" })); });
      ficha.appendChild(ul);
    } else {
      ficha.appendChild(el("p", { texto: "La fuente no registra ningún hermanamiento internacional de este municipio." }));
    }
    ficha.appendChild(el("p", { "class": "buscador-conteo", texto: M.l[i] }));
    ficha.appendChild(el("p", { "class": "buscador-fuente", texto: "Fuente: " + D.fuentes.vinculos + "." }));

    ficha.appendChild(el("h3", { texto: "Cómo se compara" }));
    ficha.appendChild(el("p", { texto: claseTexto(i) }));
    if (M.h[i].length) {
      ficha.appendChild(el("p", { texto: "Los " + M.h[i].length + " municipios con hermanamientos de perfil más parecido (población, entidad, región, litoral, fronteras y distancia); son los que consulta el buscador y los únicos que sus motivos nombran:" }));
      var tabla = el("table", { "class": "buscador-tabla" });
      tabla.appendChild(el("thead", {}, [el("tr", {}, [el("th", { scope: "col", texto: "Municipio" }),
        el("th", { scope: "col", texto: "Hermanamientos" }), el("th", { scope: "col", texto: "Ciudades socias" })])]));
      var tb = el("tbody");
      M.h[i].forEach(function (j) {
        tb.appendChild(el("tr", { "data-corto": cortos[j] }, [el("td", { "class": "nombre", texto: etiqueta(j) + " (" + M.c[j] + ")" }),
          el("td", { "class": "num", "data-etiqueta": "Hermanamientos", texto: String(M.v[j].length) }),
          el("td", { "data-etiqueta": "Ciudades socias", texto: M.v[j].length ? socios(j, 4) : "ninguna" })]));
      });
      tabla.appendChild(tb);
      ficha.appendChild(el("div", { "class": "buscador-desborde" }, [tabla]));
    } else {
      ficha.appendChild(el("p", { texto: "El perfil del municipio está incompleto: no se comparan municipios parecidos." }));
    }

    ficha.appendChild(el("h3", { texto: "Ciudades sugeridas (" + M.u[i].length + ")" }));
    ficha.appendChild(el("p", { texto: D.notas[M.o[i]] + " El número de cada ciudad es su lugar en la lista: la 1 es la más indicada." }));
    var ol = el("ol", { "class": "buscador-sugerencias" });
    M.u[i].forEach(function (s) {
      var c = D.ciudades[s[0]];
      ol.appendChild(el("li", {}, [el("strong", { "class": "buscador-ciudad", texto: c[0] }), " (" + c[1] + "). ",
        el("span", { "class": "buscador-motivo", texto: expande(D.motivos[s[1]]) })]));
    });
    ficha.appendChild(ol);
    ficha.appendChild(el("p", { "class": "buscador-formalizar" }, [el("a", { href: "#como-formalizar",
      texto: "Cómo formalizar un hermanamiento con una de estas ciudades, paso a paso" })]));
    var m = mapa(i);
    if (m) {
      ficha.appendChild(el("figure", { "class": "buscador-figura" }, [m, el("figcaption", {
        texto: "Cuadro negro: " + M.n[i] + ". Círculos azules: ciudades sugeridas, numeradas como en la lista. Círculos grises: socias actuales. " +
          "Proyección longitud-latitud; contornos de Natural Earth 1:110m simplificados." })]));
    }
  }

  // ------------------------------------------------------------------ CSV
  function csvCampo(v) {
    var t = v === null || v === undefined ? "" : String(v);
    return /[",\n;]/.test(t) ? "\"" + t.replace(/"/g, "\"\"") + "\"" : t;
  }

  function descarga(i) {
    var filas = [["seccion", "campo", "valor", "pais", "dato", "explicacion"]];
    var dato = function (campo, valor) { filas.push(["municipio", campo, valor, "", "", ""]); };
    dato("clave_inegi", M.c[i]); dato("nombre", M.n[i]); dato("entidad", entidad(i)); dato("cabecera", M.s[i] || "sin dato");
    dato("poblacion_2020", M.p[i] === null ? "sin dato" : M.p[i]); dato("region", M.r[i] || "sin dato");
    dato("litoral", siNo(M.g[i][0])); dato("frontera_estados_unidos", siNo(M.g[i][1]));
    dato("frontera_guatemala_belice", siNo(M.g[i][2])); dato("entidad_fronteriza_norte", siNo(M.g[i][3]));
    dato("grado_marginacion_2020", M.m[i] || "sin dato"); dato("intensidad_migratoria_2010", indice(M.i[i]));
    dato("comparacion", claseTexto(i));
    dato("vinculos", M.l[i]);
    M.v[i].forEach(function (j) { filas.push(["hermanamiento", "ciudad", D.ciudades[j][0], D.ciudades[j][1], "", D.fuentes.vinculos]); });
    M.h[i].forEach(function (j) { filas.push(["parecido", etiqueta(j) + " (" + M.c[j] + ")", M.v[j].length + " hermanamientos", "", "", socios(j, 100)]); });
    M.u[i].forEach(function (s, k) {
      var c = D.ciudades[s[0]];
      filas.push(["sugerencia", String(k + 1), c[0], c[1], "", expande(D.motivos[s[1]])]);
    });
    var texto = "\ufeff" + filas.map(function (f) { return f.map(csvCampo).join(","); }).join("\r\n") + "\r\n";
    var blob = new Blob([texto], { type: "text/csv;charset=utf-8" });
    var a = el("a", { href: URL.createObjectURL(blob), download: "ficha_" + M.c[i] + ".csv" });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  // ------------------------------------------------------------------ arranque
  function prepara(datos) {
    D = datos; M = datos.municipios; N = M.c.length;
    for (var i = 0; i < N; i++) {
      claves[M.c[i]] = i;
      nombresN.push(normaliza(M.n[i]));
      cabecerasN.push(normaliza(M.s[i] || ""));
      estadosN.push(normaliza(D.estados[M.e[i]][0]));
      cortos.push(M.n[i] + " (" + D.estados[M.e[i]][1] + ")");
    }
    entrada.disabled = false;
    raiz.setAttribute("data-ms", String(Math.round(performance.now())));
    raiz.setAttribute("data-listo", "true");
    estado.textContent = "Listo: " + numero.format(N) + " municipios. Escriba un nombre o una clave INEGI.";
    var q = new URLSearchParams(window.location.search).get("municipio");
    if (q) { entrada.value = q; alEscribir(); }
  }

  entrada.addEventListener("input", alEscribir);
  entrada.addEventListener("keydown", function (ev) {
    var abierta = !lista.hidden && opciones.length > 0;
    if (ev.key === "ArrowDown" && abierta) { ev.preventDefault(); marca(activa + 1); }
    else if (ev.key === "ArrowUp" && abierta) { ev.preventDefault(); marca(activa - 1); }
    else if (ev.key === "Escape") { muestraLista([]); }
    else if (ev.key === "Enter") {
      ev.preventDefault();
      if (abierta && activa >= 0) { elige(opciones[activa]); }
      else if (abierta && opciones.length === 1) { elige(opciones[0]); }
      else { alEscribir(); }
    }
  });
  formulario.addEventListener("submit", function (ev) { ev.preventDefault(); });

  entrada.disabled = true;
  estado.textContent = "Cargando los datos de los municipios…";
  fetch(raiz.getAttribute("data-datos"))
    .then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    })
    .then(prepara)
    .catch(function (err) {
      estado.textContent = "No se pudieron cargar los datos del buscador (" + err.message + "). " +
        "Abra el libro desde un servidor web (no como archivo local) o vuelva a construirlo con el cuaderno 07.";
      raiz.setAttribute("data-listo", "error");
    });
}());
