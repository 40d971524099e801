WITH "t10" AS (
  SELECT
    "t9"."__p",
    "t9"."__d_product",
    AVG(CAST("t9"."qty" AS DOUBLE PRECISION)) AS "__n0",
    SUM(
      CAST(CAST(ROUND(CAST("t9"."discount" AS DECIMAL), 1) AS DECIMAL(4, 1)) AS DOUBLE PRECISION)
    ) AS "__n1",
    SUM(
      CASE
        WHEN (
          CAST(ABS(CAST("t9"."qty" * "t9"."price" AS DOUBLE PRECISION)) AS DOUBLE PRECISION) / 10.0
        ) >= 4503599627370496.0
        THEN CAST("t9"."qty" * "t9"."price" AS DOUBLE PRECISION)
        ELSE (
          SIGN(CAST("t9"."qty" * "t9"."price" AS DOUBLE PRECISION)) * (
            (
              CAST(CAST(FLOOR(
                CAST(ABS(CAST("t9"."qty" * "t9"."price" AS DOUBLE PRECISION)) AS DOUBLE PRECISION) / 10.0
              ) AS BIGINT) AS DOUBLE PRECISION) + CASE
                WHEN (
                  (
                    CAST(ABS(CAST("t9"."qty" * "t9"."price" AS DOUBLE PRECISION)) AS DOUBLE PRECISION) / 10.0
                  ) - CAST(CAST(FLOOR(
                    CAST(ABS(CAST("t9"."qty" * "t9"."price" AS DOUBLE PRECISION)) AS DOUBLE PRECISION) / 10.0
                  ) AS BIGINT) AS DOUBLE PRECISION)
                ) >= 0.5
                THEN 1.0
                ELSE 0.0
              END
            ) * 10.0
          )
        ) + 0.0
      END
    ) AS "__n2"
  FROM (
    SELECT
      "t8"."qty",
      "t8"."price",
      "t8"."discount",
      "t8"."__d_product",
      "t8"."__k0",
      "t8"."__j0",
      "t8"."__d_order_date",
      "t8"."__d_order_date" AS "__t",
      MAKE_DATE(2024, 1, 1) AS "__p"
    FROM (
      SELECT
        "t6"."qty",
        "t6"."price",
        "t6"."discount",
        "t6"."__d_product",
        "t6"."__k0",
        "t7"."__j0",
        "t7"."__d_order_date"
      FROM (
        SELECT
          "t1"."qty",
          "t1"."price",
          "t1"."discount",
          "t1"."product" AS "__d_product",
          "t1"."order_id" AS "__k0"
        FROM "onpace_it_order_lines" AS "t1"
      ) AS "t6"
      LEFT OUTER JOIN (
        SELECT
          "t2"."id" AS "__j0",
          "t2"."order_date" AS "__d_order_date"
        FROM "onpace_it_orders" AS "t2"
      ) AS "t7"
        ON "t6"."__k0" = "t7"."__j0"
    ) AS "t8"
    WHERE
      "t8"."__d_order_date" <= MAKE_DATE(2024, 3, 31)
      AND "t8"."__d_order_date" >= MAKE_DATE(2024, 1, 1)
  ) AS "t9"
  GROUP BY
    1,
    2
)
SELECT
  "t17"."__d_product" AS "product",
  "t17"."__n0" AS "avg_units",
  COALESCE("t17"."__n1", 0) AS "rounded_discount",
  COALESCE("t17"."__n2", 0) AS "rounded_line_value"
FROM (
  SELECT
    "t16"."__p",
    "t16"."__d_product",
    MAX("t16"."__in") AS "__in",
    MAX("t16"."__n0") AS "__n0",
    MAX("t16"."__n1") AS "__n1",
    MAX("t16"."__n2") AS "__n2"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t3"."__p",
        "t14"."__d_product",
        1 AS "__in",
        CAST(NULL AS DOUBLE PRECISION) AS "__n0",
        CAST(NULL AS DOUBLE PRECISION) AS "__n1",
        CAST(NULL AS DOUBLE PRECISION) AS "__n2"
      FROM "onpace_periods_be3cd274cffe" AS "t3"
      CROSS JOIN (
        SELECT DISTINCT
          "t11"."__d_product"
        FROM "t10" AS "t11"
        WHERE
          "t11"."__p" >= MAKE_DATE(2024, 1, 1) AND "t11"."__p" <= MAKE_DATE(2024, 1, 1)
      ) AS "t14"
    ) AS "t15"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST("t11"."__p" AS TIMESTAMP) AS DATE) AS "__p",
        "t11"."__d_product",
        CAST(NULL AS SMALLINT) AS "__in",
        "t11"."__n0",
        "t11"."__n1",
        "t11"."__n2"
      FROM "t10" AS "t11"
    ) AS "t13"
  ) AS "t16"
  GROUP BY
    1,
    2
) AS "t17"
WHERE
  "t17"."__in" IS NOT NULL
