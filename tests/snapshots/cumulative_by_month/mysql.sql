WITH `t14` AS (
  SELECT
    `t13`.`__t`,
    SUM(`t13`.`qty` * `t13`.`price` * (
      1 - `t13`.`discount`
    )) AS `__n0`
  FROM (
    SELECT
      `t12`.`qty`,
      `t12`.`price`,
      `t12`.`discount`,
      `t12`.`__k0`,
      `t12`.`__j0`,
      `t12`.`__d_order_date`,
      `t12`.`__d_order_date` AS `__t`
    FROM (
      SELECT
        `t10`.`qty`,
        `t10`.`price`,
        `t10`.`discount`,
        `t10`.`__k0`,
        `t11`.`__j0`,
        `t11`.`__d_order_date`
      FROM (
        SELECT
          `t3`.`qty`,
          `t3`.`price`,
          `t3`.`discount`,
          `t3`.`order_id` AS `__k0`
        FROM `onpace_it_order_lines` AS `t3`
      ) AS `t10`
      LEFT OUTER JOIN (
        SELECT
          `t4`.`id` AS `__j0`,
          `t4`.`order_date` AS `__d_order_date`
        FROM `onpace_it_orders` AS `t4`
      ) AS `t11`
        ON `t10`.`__k0` = `t11`.`__j0`
    ) AS `t12`
    WHERE
      `t12`.`__d_order_date` <= DATE('2024-06-30')
      AND `t12`.`__d_order_date` >= DATE('2023-01-01')
  ) AS `t13`
  GROUP BY
    1
), `t23` AS (
  SELECT
    `t20`.`__day`,
    COALESCE(`t20`.`__x`, 0) AS `__v`
  FROM (
    SELECT
      `t18`.`__day`,
      MAX(`t18`.`__in`) AS `__in`,
      MAX(`t18`.`__x`) AS `__x`,
      MAX(`t18`.`__e`) AS `__e`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t2`.`__day`,
          1 AS `__in`,
          NULL AS `__x`,
          NULL AS `__e`
        FROM `onpace_days_905eec0d363b` AS `t2`
      ) AS `t7`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t15`.`__t` AS DATETIME) AS DATE) AS `__day`,
          NULL AS `__in`,
          `t15`.`__n0` AS `__x`,
          1 AS `__e`
        FROM `t14` AS `t15`
      ) AS `t17`
    ) AS `t18`
    GROUP BY
      1
  ) AS `t20`
  WHERE
    `t20`.`__in` IS NOT NULL
)
SELECT
  `t40`.`__p` AS `period`,
  CAST(COALESCE(`t40`.`__n1`, 0) AS DOUBLE) AS `revenue_7d`,
  CAST(COALESCE(`t40`.`__n2`, 0) AS DOUBLE) AS `revenue_mtd`,
  CAST(COALESCE(`t40`.`__n3`, 0) AS DOUBLE) AS `revenue_running`
FROM (
  SELECT
    `t39`.`__p`,
    MAX(`t39`.`__in`) AS `__in`,
    MAX(`t39`.`__n0`) AS `__n0`,
    MAX(`t39`.`__n1`) AS `__n1`,
    MAX(`t39`.`__n2`) AS `__n2`,
    MAX(`t39`.`__n3`) AS `__n3`
  FROM (
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t31`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          NULL AS `__n0`,
          `t31`.`__n1`,
          NULL AS `__n2`,
          NULL AS `__n3`
        FROM (
          SELECT
            `t5`.`__ap` AS `__p`,
            `t28`.`__c` AS `__n1`
          FROM (
            SELECT
              `t24`.`__day`,
              `t24`.`__v`,
              SUM(`t24`.`__v`) OVER (
                ORDER BY CASE WHEN `t24`.`__day` IS NULL THEN 1 ELSE 0 END, `t24`.`__day` ASC
                ROWS BETWEEN 6 preceding AND CURRENT ROW
              ) AS `__c`
            FROM `t23` AS `t24`
          ) AS `t28`
          INNER JOIN `onpace_asof_98d7a9c8a3e8` AS `t5`
            ON `t28`.`__day` = `t5`.`__ad`
        ) AS `t31`
      ) AS `t34`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t32`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          `t32`.`__n2`,
          NULL AS `__n3`
        FROM (
          SELECT
            `t5`.`__ap` AS `__p`,
            `t29`.`__c` AS `__n2`
          FROM (
            SELECT
              `t24`.`__day`,
              `t24`.`__v`,
              SUM(`t24`.`__v`) OVER (
                PARTITION BY DATE_FORMAT(`t24`.`__day`, '%Y-%m-01')
                ORDER BY CASE WHEN `t24`.`__day` IS NULL THEN 1 ELSE 0 END, `t24`.`__day` ASC
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS `__c`
            FROM `t23` AS `t24`
          ) AS `t29`
          INNER JOIN `onpace_asof_98d7a9c8a3e8` AS `t5`
            ON `t29`.`__day` = `t5`.`__ad`
        ) AS `t32`
      ) AS `t35`
    ) AS `t37`
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t33`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          NULL AS `__n0`,
          NULL AS `__n1`,
          NULL AS `__n2`,
          `t33`.`__n3`
        FROM (
          SELECT
            `t5`.`__ap` AS `__p`,
            `t30`.`__c` AS `__n3`
          FROM (
            SELECT
              `t24`.`__day`,
              `t24`.`__v`,
              SUM(`t24`.`__v`) OVER (
                ORDER BY CASE WHEN `t24`.`__day` IS NULL THEN 1 ELSE 0 END, `t24`.`__day` ASC
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
              ) AS `__c`
            FROM `t23` AS `t24`
          ) AS `t30`
          INNER JOIN `onpace_asof_98d7a9c8a3e8` AS `t5`
            ON `t30`.`__day` = `t5`.`__ad`
        ) AS `t33`
      ) AS `t36`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            `t0`.`__p`,
            1 AS `__in`,
            NULL AS `__n0`,
            NULL AS `__n1`,
            NULL AS `__n2`,
            NULL AS `__n3`
          FROM `onpace_periods_4b71f0b1481d` AS `t0`
        ) AS `t6`
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            CAST(CAST(`t19`.`__p` AS DATETIME) AS DATE) AS `__p`,
            NULL AS `__in`,
            `t19`.`__n0`,
            NULL AS `__n1`,
            NULL AS `__n2`,
            NULL AS `__n3`
          FROM (
            SELECT
              `t16`.`__p`,
              SUM(`t16`.`__n0`) AS `__n0`
            FROM (
              SELECT
                `t15`.`__t`,
                `t15`.`__n0`,
                DATE_FORMAT(`t15`.`__t`, '%Y-%m-01') AS `__p`
              FROM `t14` AS `t15`
              WHERE
                `t15`.`__t` <= DATE('2024-06-30') AND `t15`.`__t` >= DATE('2024-01-01')
            ) AS `t16`
            GROUP BY
              1
          ) AS `t19`
        ) AS `t21`
      ) AS `t22`
    ) AS `t38`
  ) AS `t39`
  GROUP BY
    1
) AS `t40`
WHERE
  `t40`.`__in` IS NOT NULL AND `t40`.`__p` >= DATE('2024-01-01')
