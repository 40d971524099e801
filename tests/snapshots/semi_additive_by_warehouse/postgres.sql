WITH "t3" AS (
  SELECT
    DATE_TRUNC('MONTH', "t1"."snapshot_date") AS "__p",
    "t1"."snapshot_date" AS "__t",
    CAST("t1"."units" AS DOUBLE PRECISION) AS "__v",
    "t1"."warehouse" AS "__d_warehouse"
  FROM "onpace_it_inventory" AS "t1"
  WHERE
    "t1"."snapshot_date" <= MAKE_DATE(2024, 6, 30)
    AND "t1"."snapshot_date" >= MAKE_DATE(2024, 1, 1)
), "t4" AS (
  SELECT
    "t1"."warehouse" AS "__d_warehouse"
  FROM "onpace_it_inventory" AS "t1"
  WHERE
    "t1"."snapshot_date" <= MAKE_DATE(2024, 6, 30)
    AND "t1"."snapshot_date" >= MAKE_DATE(2024, 1, 1)
    AND DATE_TRUNC('MONTH', "t1"."snapshot_date") >= MAKE_DATE(2024, 1, 1)
    AND DATE_TRUNC('MONTH', "t1"."snapshot_date") <= MAKE_DATE(2024, 6, 1)
)
SELECT
  "t24"."__p" AS "period",
  "t24"."__d_warehouse" AS "warehouse",
  "t24"."__n0" AS "stock",
  "t24"."__n1" AS "average_stock"
FROM (
  SELECT
    "t23"."__p",
    "t23"."__d_warehouse",
    MAX("t23"."__in") AS "__in",
    MAX("t23"."__n0") AS "__n0",
    MAX("t23"."__n1") AS "__n1"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST(CAST("t17"."__p" AS TIMESTAMP) AS DATE) AS "__p",
        "t17"."__d_warehouse",
        CAST(NULL AS SMALLINT) AS "__in",
        CAST(NULL AS DOUBLE PRECISION) AS "__n0",
        "t17"."__n1"
      FROM (
        SELECT
          "t13"."__p",
          "t13"."__d_warehouse",
          CAST("t13"."__s" AS DOUBLE PRECISION) / "t14"."__c" AS "__n1"
        FROM (
          SELECT
            "t5"."__p",
            "t5"."__d_warehouse",
            SUM("t5"."__v") AS "__s"
          FROM "t3" AS "t5"
          GROUP BY
            1,
            2
        ) AS "t13"
        INNER JOIN (
          SELECT
            "t5"."__p" AS "__tp",
            COUNT(DISTINCT "t5"."__t") AS "__c"
          FROM "t3" AS "t5"
          GROUP BY
            1
        ) AS "t14"
          ON "t13"."__p" = "t14"."__tp"
      ) AS "t17"
    ) AS "t20"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t2"."__p",
          "t9"."__d_warehouse",
          1 AS "__in",
          CAST(NULL AS DOUBLE PRECISION) AS "__n0",
          CAST(NULL AS DOUBLE PRECISION) AS "__n1"
        FROM "onpace_periods_4b71f0b1481d" AS "t2"
        CROSS JOIN (
          SELECT
            *
          FROM "t4" AS "t6"
          UNION
          SELECT
            *
          FROM "t4" AS "t6"
        ) AS "t9"
      ) AS "t16"
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST("t19"."__p" AS TIMESTAMP) AS DATE) AS "__p",
          "t19"."__d_warehouse",
          CAST(NULL AS SMALLINT) AS "__in",
          "t19"."__n0",
          CAST(NULL AS DOUBLE PRECISION) AS "__n1"
        FROM (
          SELECT
            "t18"."__p",
            "t18"."__d_warehouse",
            SUM("t18"."__v") AS "__n0"
          FROM (
            SELECT
              "t7"."__p",
              "t7"."__t",
              "t7"."__v",
              "t7"."__d_warehouse",
              "t15"."__tp",
              "t15"."__pick"
            FROM "t3" AS "t7"
            INNER JOIN (
              SELECT
                "t5"."__p" AS "__tp",
                MAX("t5"."__t") AS "__pick"
              FROM "t3" AS "t5"
              GROUP BY
                1
            ) AS "t15"
              ON "t7"."__p" = "t15"."__tp" AND "t7"."__t" = "t15"."__pick"
          ) AS "t18"
          GROUP BY
            1,
            2
        ) AS "t19"
      ) AS "t21"
    ) AS "t22"
  ) AS "t23"
  GROUP BY
    1,
    2
) AS "t24"
WHERE
  "t24"."__in" IS NOT NULL AND "t24"."__p" >= MAKE_DATE(2024, 1, 1)
